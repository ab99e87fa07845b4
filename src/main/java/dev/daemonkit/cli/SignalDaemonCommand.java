package dev.daemonkit.cli;

import dev.daemonkit.daemon.DaemonControl;
import dev.daemonkit.posix.Signal;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code daemonkit reload} (SIGHUP) and {@code daemonkit reopen-logs} (SIGUSR1): one signal to
 * the daemon holding the pidfile, through a pidfd so that a recycled pid is never hit.
 */
final class SignalDaemonCommand implements Command {
    private final String name;
    private final Signal signal;
    private final String meaning;

    private SignalDaemonCommand(String name, Signal signal, String meaning) {
        this.name = name;
        this.signal = signal;
        this.meaning = meaning;
    }

    static SignalDaemonCommand reload() {
        return new SignalDaemonCommand("reload", Signal.SIGHUP, "reload its configuration");
    }

    static SignalDaemonCommand reopenLogs() {
        return new SignalDaemonCommand("reopen-logs", Signal.SIGUSR1, "reopen its log files (after logrotate)");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String summary() {
        return "tell the daemon to " + meaning + " (" + signal + ")";
    }

    @Override
    public String usage() {
        return """
            usage: daemonkit %s --pidfile P [--force]

            Sends %s to the daemon holding the pidfile's lock (via pidfd), telling it to %s.
            daemonkit daemons (Daemon.onReload / serve) and most servers (nginx, sshd...) handle it.
            A program that does not catch %s would be killed by it, so that is refused unless --force.

            exit: 0 sent; 1 not running, or the program does not catch %s; 2 bad usage."""
                .formatted(name, signal, meaning, signal, signal);
    }

    @Override
    public int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Args a = Args.parse(name, argv, Set.of("pidfile"), Set.of("force"), 0);
        Path pidfile = Path.of(a.require("pidfile"));
        DaemonControl.Status st = DaemonControl.status(pidfile);
        if (!(st instanceof DaemonControl.Status.Running r)) {
            err.println("daemonkit " + name + ": " + st.describe());
            return FAILED;
        }
        if (!a.flag("force") && !DaemonControl.catches(r.pid(), signal)) {
            err.println("daemonkit " + name + ": pid " + r.pid() + " does not catch " + signal
                    + "; it would be killed, not " + (signal == Signal.SIGHUP ? "reloaded" : "told to reopen its logs")
                    + " (use --force to send it anyway)");
            return FAILED;
        }
        try {
            int pid = DaemonControl.signal(pidfile, signal);
            out.println("sent " + signal + " to pid " + pid);
            return OK;
        } catch (IOException e) {
            err.println("daemonkit " + name + ": " + e.getMessage());
            return FAILED;
        }
    }
}
