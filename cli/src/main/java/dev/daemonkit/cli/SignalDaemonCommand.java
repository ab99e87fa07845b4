package dev.daemonkit.cli;

import dev.daemonkit.daemon.DaemonControl;
import dev.daemonkit.posix.Signal;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code daemonkit reload} (SIGHUP) and {@code daemonkit reopen-logs} (SIGUSR1): one signal to
 * the daemon holding the pidfile's lock, through a pidfd so that a recycled pid is never hit.
 */
final class SignalDaemonCommand implements Command {
    private final String name;
    private final Signal signal;
    private final String meaning;
    private final String example;

    private SignalDaemonCommand(String name, Signal signal, String meaning, String example) {
        this.name = name;
        this.signal = signal;
        this.meaning = meaning;
        this.example = example;
    }

    static SignalDaemonCommand reload() {
        return new SignalDaemonCommand("reload", Signal.SIGHUP, "reload its configuration",
                "daemonkit serve reloads on SIGHUP, as nginx does; a library daemon does what it registered\n"
                + "with Daemon.onReload (without one, a daemonized JVM ignores SIGHUP).");
    }

    static SignalDaemonCommand reopenLogs() {
        return new SignalDaemonCommand("reopen-logs", Signal.SIGUSR1, "reopen its log files",
                "Daemons set up by daemonkit reopen --log on SIGUSR1, as nginx does (Daemon.onReopenLogs\n"
                + "adds more); call it from logrotate's postrotate.");
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
            usage: daemonkit %s --pidfile P [--force] [--exec PATH] [--user U]

            Sends %s to the daemon holding the pidfile's lock (via pidfd): %s.
            %s
            A program that does not catch %s would be killed by it, so that is refused (unless
            forced). A pidfile daemonkit did not lock needs --exec and/or --user.

            options:
              --pidfile P          the pidfile
              --force              send it even if the program does not catch %s
            """.formatted(name, signal, meaning, example, signal, signal) + IdentityArgs.HELP + """


            exit: 0 sent; 1 not running, refused, or the program does not catch %s; 2 bad usage
                  or P is not a pidfile.""".formatted(signal);
    }

    @Override
    public int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Set<String> valued = new HashSet<>(IdentityArgs.VALUED);
        valued.add("pidfile");
        Args a = Args.parse(name, argv, valued, Set.of("force"), 0);
        Path pidfile = Path.of(a.require("pidfile"));
        int pid = DaemonControl.signal(pidfile, signal, IdentityArgs.parse(a), !a.flag("force"));
        out.println("sent " + signal + " to pid " + pid);
        return OK;
    }
}
