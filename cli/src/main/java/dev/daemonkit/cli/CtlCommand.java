package dev.daemonkit.cli;

import dev.daemonkit.supervise.ControlClient;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code daemonkit ctl}: talk to a running supervisor through its control socket. */
final class CtlCommand implements Command {
    @Override
    public String name() {
        return "ctl";
    }

    @Override
    public String summary() {
        return "control a running supervisor: status, start/stop/restart NAME, signal, reopen-logs";
    }

    @Override
    public String usage() {
        return """
            usage: daemonkit ctl (--control SOCK | --pidfile P) [--timeout 60s] REQUEST [NAME]

            requests: status | start NAME | stop NAME | restart NAME | signal SIG [NAME] | reopen-logs
                      | shutdown
            NAME is a program, a numprocs group (all its copies) or 'all'. The socket is the one
            given to supervise/prefork with --control, or derived from their --pidfile (P with .sock).
            The supervisor gives a client 5 s to send its request and serves 16 at once.

            options:
              --control SOCK       the control socket
              --pidfile P          the supervisor's pidfile (the socket is P with .sock)
              --timeout D          how long to wait for the reply (default 60s; a restart waits
                                   for the stop)

            exit: 0 done; 1 the supervisor refused or is not running; 2 bad usage.""";
    }

    @Override
    public int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Args a = Args.parse(name(), argv, Set.of("control", "pidfile", "timeout"), Set.of(), 3);
        if (a.positional().isEmpty()) {
            throw new UsageException("ctl needs a request: status, start NAME, stop NAME, restart NAME, signal SIG, reopen-logs, shutdown");
        }
        Path socket = SuperviseArgs.controlPath(a).orElseThrow(() -> new UsageException("ctl needs --control SOCK or --pidfile P"));
        useJdkSelectorProvider();
        String reply;
        try {
            reply = ControlClient.request(socket, String.join(" ", a.positional()),
                    a.duration("timeout", ControlClient.DEFAULT_TIMEOUT));
        } catch (IOException e) {
            err.println("daemonkit ctl: no supervisor answers on " + socket + " (" + e.getMessage() + ")");
            return FAILED;
        }
        if (reply.startsWith("OK")) {
            out.print(reply.substring(reply.indexOf('\n') + 1));
            return OK;
        }
        err.print("daemonkit ctl: " + reply.replaceFirst("^ERROR ", ""));
        return FAILED;
    }

    private static final String SELECTOR_PROVIDER = "java.nio.channels.spi.SelectorProvider";
    /** What {@code sun.nio.ch.DefaultSelectorProvider} makes on Linux. */
    private static final String JDK_SELECTOR_PROVIDER = "sun.nio.ch.EPollSelectorProvider";

    /**
     * Names the JDK's own selector provider through its documented system property, before the
     * first socket of this process: otherwise {@code SelectorProvider.provider()} first looks for a
     * provider service file in every class-path jar (opening each jar: ~5 ms of a ~45 ms ctl).
     * Left alone when the user set the property, or when this JDK has no such class (a wrong name
     * would make every socket fail). Only the ctl process: it opens one socket and no selector.
     */
    static void useJdkSelectorProvider() {
        if (System.getProperty(SELECTOR_PROVIDER) != null) {
            return;
        }
        try {
            Class.forName(JDK_SELECTOR_PROVIDER, false, null);
        } catch (ClassNotFoundException e) {
            return;
        }
        System.setProperty(SELECTOR_PROVIDER, JDK_SELECTOR_PROVIDER);
    }
}
