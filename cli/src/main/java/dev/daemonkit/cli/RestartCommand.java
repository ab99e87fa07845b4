package dev.daemonkit.cli;

import dev.daemonkit.daemon.DaemonOptions;
import dev.daemonkit.posix.Signal;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** {@code daemonkit restart}: stop (if running), then start. */
final class RestartCommand implements Command {
    @Override
    public String name() {
        return "restart";
    }

    @Override
    public String summary() {
        return "stop the daemon if it runs, then start it";
    }

    @Override
    public String usage() {
        return """
            usage: daemonkit restart --pidfile P [--timeout 10s] [--signal TERM] [start options]
                                 -- CMD [ARGS...]

            Everything is checked first (nothing is stopped if the new command cannot start), then
            the running daemon is stopped as by 'daemonkit stop' and the command started as by
            'daemonkit start'.

            options: --timeout and --signal as for stop, and
            """ + DaemonArgs.OPTIONS_HELP + """


            exit: 0 restarted; 1 stop or start failed; 2 bad usage (nothing was stopped or started).""";
    }

    @Override
    public int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Set<String> valued = new HashSet<>(DaemonArgs.VALUED);
        valued.addAll(Set.of("timeout", "signal"));
        Args a = Args.parse(name(), argv, valued, DaemonArgs.FLAGS, 0);
        DaemonArgs.checkForking(a);
        Path pidfile = Path.of(a.require("pidfile"));
        List<String> command = a.requireCommand();
        DaemonOptions o = DaemonArgs.options(a);
        DaemonArgs.service(a); // bad values are usage errors before anything is stopped
        Duration timeout = a.duration("timeout", Duration.ofSeconds(10));
        Signal signal = a.signal("signal", Signal.SIGTERM);
        DaemonArgs.check(o, command);
        StopCommand.stop(pidfile, signal, timeout, dev.daemonkit.daemon.Identity.none(), out);
        return StartCommand.start(o, command, a, out);
    }
}
