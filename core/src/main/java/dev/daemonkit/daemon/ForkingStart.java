package dev.daemonkit.daemon;

import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.process.ChildProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code start --forking}, systemd's Type=forking with PIDFile=: the program puts itself in the
 * background and writes its own pidfile. The launcher (a child subreaper meanwhile) waits for the
 * first process to exit 0, then for the pidfile to name a pid, believes that pid only if it is
 * one of its own descendants, and records the daemon's identity ({@link ForkingRecord}) for
 * status, stop and reload.
 */
final class ForkingStart {
    private static final Duration POLL = Duration.ofMillis(20);

    private ForkingStart() {
    }

    /** Waits for the forking program started as {@code child}; returns the daemon's pid. */
    static int await(ChildProcess child, Path pidfile, DaemonOptions o, Optional<Fd> log)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + o.readyTimeout().toNanos();
        Optional<WaitStatus> first = child.waitFor(o.readyTimeout());
        if (first.isEmpty()) {
            throw Startup.failure("its first process did not exit within " + o.readyTimeout().toMillis()
                    + " ms: with --forking the program must put itself in the background (systemd Type=forking);"
                    + " a program that stays in the foreground is started without --forking", o, log);
        }
        if (!(first.get() instanceof WaitStatus.Exited e && e.code() == 0)) {
            throw Startup.failure(first.get().outcome(), o, log);
        }
        while (true) {
            if (PidfileProbe.inspect(pidfile, false) instanceof PidfileProbe.Regular r && r.content().pid().isPresent()) {
                int pid = r.content().pid().getAsInt();
                if (SessionCleanup.isOurs(pid)) {
                    ForkingRecord.write(pidfile, pid);
                    return pid;
                }
                if (System.nanoTime() > deadline) {
                    throw Startup.failure(pidfile + " names pid " + pid + ", which is not a process daemonkit started;"
                            + " refusing it", o, log);
                }
            }
            if (System.nanoTime() > deadline) {
                throw Startup.failure("the program went to the background but did not write a pid to " + pidfile
                        + " within " + o.readyTimeout().toMillis() + " ms (is --pidfile the program's own pidfile?)", o, log);
            }
            Thread.sleep(POLL.toMillis());
        }
    }
}
