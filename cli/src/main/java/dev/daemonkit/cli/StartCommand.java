package dev.daemonkit.cli;

import dev.daemonkit.daemon.DaemonLauncher;
import dev.daemonkit.daemon.DaemonOptions;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/** {@code daemonkit start}: daemonizes any command. */
final class StartCommand implements Command {
    @Override
    public String name() {
        return "start";
    }

    @Override
    public String summary() {
        return "start a command as a daemon (new session, pidfile, log)";
    }

    @Override
    public String usage() {
        return """
            usage: daemonkit start --pidfile P [--log FILE] [--chdir DIR] [--umask 022] [--ready-timeout 10s]
                               [--user U] [--forking] [--notify] [--ready-fd N] [--start-timeout D]
                               [--listen [NAME=]HOST:PORT]... -- CMD [ARGS...]

            Starts CMD detached: posix_spawn in a new session, stdin from /dev/null, stdout and stderr
            appended to --log (or /dev/null), directory and umask applied, SIGHUP/SIGTTIN/SIGTTOU/SIGPIPE
            ignored. The pidfile holds the daemon's pid and stays locked for its whole life.
            Returns once the daemon has stayed alive for --grace (1s), or is ready if it uses daemonkit's
            readiness, sends READY=1 to its NOTIFY_SOCKET (--notify) or writes a newline on fd N
            (--ready-fd N). A program that exits before that is a failed start (exit 1).

            options:
            """ + DaemonArgs.OPTIONS_HELP + """


            exit: 0 started, or already running; 1 it failed to start (message and log tail shown);
                  2 bad usage (unknown option, missing -- CMD, command not found, unwritable pidfile
                  directory...): nothing was started.""";
    }

    @Override
    public int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Args a = DaemonArgs.parse(name(), argv, true);
        List<String> command = a.requireCommand();
        DaemonOptions o = DaemonArgs.options(a);
        DaemonArgs.service(a); // bad values are usage errors before anything starts
        DaemonArgs.check(o, command);
        return start(o, command, a, out);
    }

    /** Shared with restart. */
    static int start(DaemonOptions o, List<String> command, Args a, PrintStream out) throws Exception {
        DaemonLauncher.Outcome r = a.flag("forking") ? DaemonLauncher.startForking(o, command)
                : DaemonLauncher.start(o, command, Map.of(), DaemonArgs.grace(a), a.flag("wait-ready"), false,
                        DaemonArgs.service(a));
        switch (r) {
            case DaemonLauncher.Outcome.Started s -> out.println("started (pid " + s.pid() + ")"
                    + (s.ready() ? ", ready" : ""));
            case DaemonLauncher.Outcome.AlreadyRunning ar -> out.println("already running"
                    + ar.pid().map(p -> " (pid " + p + ")").orElse(""));
        }
        return OK;
    }
}
