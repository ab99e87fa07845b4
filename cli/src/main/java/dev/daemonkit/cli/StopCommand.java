package dev.daemonkit.cli;

import dev.daemonkit.daemon.DaemonControl;
import dev.daemonkit.daemon.Identity;
import dev.daemonkit.posix.Signal;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** {@code daemonkit stop}: signal, wait, escalate, clean up. */
final class StopCommand implements Command {
    @Override
    public String name() {
        return "stop";
    }

    @Override
    public String summary() {
        return "stop a daemon: signal, wait, SIGKILL after the timeout";
    }

    @Override
    public String usage() {
        return """
            usage: daemonkit stop --pidfile P [--timeout 10s] [--signal TERM] [--exec PATH] [--user U]

            Finds the daemon by the pidfile's lock (the pid written in the file is only a hint),
            sends --signal (default TERM) through a pidfd — a recycled pid is never signalled —,
            waits up to --timeout for it to exit, then sends SIGKILL; then stops what it left holding
            the lock or in its session, and removes the pidfile if the daemon did not.
            A pidfile daemonkit did not lock is acted on only with --exec and/or --user, as with
            start-stop-daemon. Pid 1, daemonkit itself and its ancestors are never signalled.

            options:
              --pidfile P          the pidfile
              --timeout D          how long to wait after the signal before SIGKILL (default 10s)
              --signal SIG         the signal (default TERM)
            """ + IdentityArgs.HELP + """


            exit: 0 stopped or not running; 1 refused (an unlocked pidfile without a matching
                  --exec/--user, another user's pidfile, pid 1) or it could not be stopped (EPERM);
                  2 bad usage, or P is not a pidfile (a directory, FIFO, symlink, a file that holds
                  no pid): nothing was signalled or removed.""";
    }

    @Override
    public int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Set<String> valued = new HashSet<>(IdentityArgs.VALUED);
        valued.addAll(Set.of("pidfile", "timeout", "signal"));
        Args a = Args.parse(name(), argv, valued, Set.of(), 0);
        Path pidfile = Path.of(a.require("pidfile"));
        Duration timeout = a.duration("timeout", Duration.ofSeconds(10));
        Signal signal = a.signal("signal", Signal.SIGTERM);
        return stop(pidfile, signal, timeout, IdentityArgs.parse(a), out);
    }

    /** Shared with restart. */
    static int stop(Path pidfile, Signal signal, Duration timeout, Identity expected, PrintStream out) throws Exception {
        // instanceof, not a pattern switch: a switch's first run spins a class (~2 ms of a stop
        // of a daemon that is not running; see Resolved.of). StopResult has these two cases.
        DaemonControl.StopResult result = DaemonControl.stop(pidfile, signal, timeout, expected);
        if (result instanceof DaemonControl.StopResult.Stopped s) {
            out.println("stopped (pid " + s.pid() + ")"
                    + (s.killed() ? ", killed with SIGKILL after " + timeout.toMillis() + " ms" : "")
                    + s.note().map(n -> " [" + n + "]").orElse(""));
        } else if (result instanceof DaemonControl.StopResult.NotRunning n) {
            out.println("not running"
                    + (n.removedStale() ? " (removed stale pidfile " + pidfile + ")" : "")
                    + n.detail().map(d -> " (" + d + ")").orElse(""));
        }
        return OK;
    }
}
