package dev.daemonkit.daemon;

import dev.daemonkit.posix.ByteStrings;
import dev.daemonkit.posix.Fd;
import dev.daemonkit.process.Spawn;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The launching stages of {@link Daemon#daemonize}: the JVM the user started re-launches itself
 * (same java binary, JVM options and arguments, read from /proc/self) through
 * {@link DaemonLauncher}, waits until the daemon is ready, and exits; with a double fork the
 * first re-launched JVM only spawns the second outside session leadership and exits.
 */
final class SelfRelaunch {

    private SelfRelaunch() {
    }

    /** The launcher: starts the daemon stage and exits with what the start reported. */
    static void launch(DaemonOptions o) {
        int exit;
        try {
            List<String> self = ownCommandLine();
            DaemonLauncher.check(o, self);
            String stage = o.doubleFork() ? "1" : "2";
            DaemonLauncher.Outcome out = DaemonLauncher.start(o, self, Map.of(o.markerVariable(), stage),
                    DaemonLauncher.Grace.full(o.readyTimeout()), true, true);
            // Results on stdout, as `daemonkit start` prints them.
            switch (out) {
                case DaemonLauncher.Outcome.Started s -> System.out.println("started (pid " + s.pid() + ")");
                case DaemonLauncher.Outcome.AlreadyRunning a -> System.out.println("already running"
                        + a.pid().map(p -> " (pid " + p + ")").orElse(""));
            }
            exit = 0;
        } catch (IllegalArgumentException e) {
            System.err.println(o.name().map(n -> n + ": ").orElse("") + e.getMessage());
            exit = 2; // bad input found by the checks: nothing was started
        } catch (IOException e) {
            System.err.println(o.name().map(n -> n + ": ").orElse("") + e.getMessage());
            exit = e instanceof PidfileException pe && pe.badInput() ? 2 : 1;
        } catch (InterruptedException e) {
            exit = 1;
        }
        System.out.flush();
        System.err.flush();
        // halt, not exit: the application's own shutdown hooks belong to the daemon, not to us.
        Runtime.getRuntime().halt(exit);
    }

    /** The java binary and this JVM's arguments: /proc/self/exe and /proc/self/cmdline. */
    static List<String> ownCommandLine() throws IOException {
        String exe = Files.readSymbolicLink(Path.of("/proc/self/exe")).toString();
        List<String> args = new ArrayList<>();
        for (byte[] arg : ByteStrings.cmdline(Path.of("/proc/self/cmdline"))) {
            args.add(ByteStrings.decode(arg)); // byte-exact: an argument need not be UTF-8
        }
        args.set(0, exe);
        return args;
    }

    /** Stage 1: spawn stage 2 outside the session leadership and exit at once. */
    static void handOver(DaemonOptions o) throws IOException {
        ReadyPipe.send("NOTIFY");
        Fd readyFd = ReadyPipe.fd();
        Spawn spawn = Spawn.of(ownCommandLine())
                .env(o.markerVariable(), "2")
                .keepIgnored(o.ignoredSignals());
        if (readyFd != null) {
            spawn.passFd(readyFd.number(), ReadyPipe.CHILD_FD);
        }
        Daemon.inheritedPidfileFd().ifPresent(fd -> spawn.passFd(fd, DaemonLauncher.PIDFILE_CHILD_FD));
        spawn.start().close();
        Runtime.getRuntime().halt(0);
    }
}
