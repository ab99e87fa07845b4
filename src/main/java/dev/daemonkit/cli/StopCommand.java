package dev.daemonkit.cli;

import dev.daemonkit.daemon.DaemonControl;
import dev.daemonkit.posix.Signal;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
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
            usage: daemonkit stop --pidfile P [--timeout 10s] [--signal TERM]

            Sends --signal (default TERM) through a pidfd — a recycled pid is never signalled —
            waits up to --timeout for the daemon to exit, then sends SIGKILL and waits for its death,
            and removes the pidfile if the daemon did not.

            exit: 0 stopped or not running; 1 it could not be stopped (e.g. EPERM); 2 bad usage.""";
    }

    @Override
    public int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Args a = Args.parse(name(), argv, Set.of("pidfile", "timeout", "signal"), Set.of(), 0);
        Path pidfile = Path.of(a.require("pidfile"));
        Duration timeout = a.duration("timeout", Duration.ofSeconds(10));
        Signal signal = a.signal("signal", Signal.SIGTERM);
        return stop(pidfile, signal, timeout, out);
    }

    /** Shared with restart. */
    static int stop(Path pidfile, Signal signal, Duration timeout, PrintStream out) throws Exception {
        switch (DaemonControl.stop(pidfile, signal, timeout)) {
            case DaemonControl.StopResult.Stopped s -> out.println("stopped (pid " + s.pid() + ")"
                    + (s.killed() ? ", killed with SIGKILL after " + timeout.toMillis() + " ms" : ""));
            case DaemonControl.StopResult.NotRunning n -> out.println("not running"
                    + (n.removedStale() ? " (removed stale pidfile " + pidfile + ")" : ""));
        }
        return OK;
    }
}
