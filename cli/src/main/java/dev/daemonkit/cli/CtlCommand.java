package dev.daemonkit.cli;

import dev.daemonkit.posix.ByteStrings;
import dev.daemonkit.supervise.ControlClient;
import dev.daemonkit.supervise.ControlServer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
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
            given to supervise/prefork with --control, or derived from their --pidfile (x.pid: x.sock).
            The supervisor gives a client 5 s to send its request and serves 16 at once.

            options:
              --control SOCK       the control socket
              --pidfile P          the supervisor's pidfile (x.pid: socket x.sock)
              --timeout D          how long to wait for the reply (default 60s; a restart waits
                                   for the stop)

            exit: 0 done; 1 the supervisor refused or is not running; 2 bad usage.""";
    }

    @Override
    public int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Args a = Args.parse(name(), argv, Set.of("control", "pidfile", "timeout"), Set.of(), 3);
        if (a.positional().isEmpty()) {
            throw new UsageException("a request is needed: status, start NAME, stop NAME, restart NAME, signal SIG, reopen-logs, shutdown");
        }
        Path socket = SuperviseArgs.controlPath(a).orElseThrow(() -> new UsageException("--control SOCK or --pidfile P is required"));
        Optional<String> bad = ControlServer.usageError(String.join(" ", a.positional()));
        if (bad.isPresent()) {
            throw new UsageException(bad.get());
        }
        String stranger = strangersSocket(socket);
        if (stranger != null) {
            err.println("daemonkit ctl: " + stranger);
            return FAILED;
        }
        useJdkSelectorProvider();
        String reply;
        try {
            reply = ControlClient.request(socket, String.join(" ", a.positional()),
                    a.duration("timeout", ControlClient.DEFAULT_TIMEOUT));
        } catch (ControlClient.StrangerException e) {
            err.println("daemonkit ctl: " + e.getMessage());
            return FAILED;
        } catch (IOException e) {
            err.println("daemonkit ctl: no supervisor answers on " + socket + " (" + e.getMessage() + ")");
            return FAILED;
        }
        if (reply.startsWith("OK")) {
            out.print(printable(reply.substring(reply.indexOf('\n') + 1)));
            return OK;
        }
        err.print("daemonkit ctl: " + printable(reply.replaceFirst("^ERROR ", "")));
        return FAILED;
    }

    /**
     * Why the socket is not one to talk to: it belongs to neither root nor the caller. A supervisor
     * makes its socket itself (0600, its own user's), so another user's socket at that path is a
     * stand-in that would read the request and answer whatever it likes; null when it is fine or
     * missing (the connect then says so).
     */
    static String strangersSocket(Path socket) {
        int owner;
        int me;
        try {
            owner = (int) Files.getAttribute(socket, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            // The owner of /proc/self is this process's effective uid (no downcall on ctl's quick path).
            me = (int) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | RuntimeException e) {
            return null;
        }
        if (owner != 0 && owner != me) {
            return socket + " belongs to uid " + owner + ", not to root or you: not a supervisor of yours, not talking to it";
        }
        // The check and the connect are two lookups: in a directory another user can rename
        // entries in, the socket could be exchanged for theirs in between.
        try {
            Path dir = socket.toAbsolutePath().getParent();
            int dirOwner = (int) Files.getAttribute(dir, "unix:uid");
            int mode = (int) Files.getAttribute(dir, "unix:mode");
            if (dirOwner != 0 && dirOwner != me || (mode & 022) != 0 && (mode & 01000) == 0) {
                return socket + ": its directory can be changed by another user (owner uid " + dirOwner
                        + ", mode " + Integer.toOctalString(mode & 07777) + "), so the socket could be swapped: not talking to it";
            }
        } catch (IOException | RuntimeException e) {
            return null; // the connect says what is wrong
        }
        return null;
    }

    /** Each line of a reply made safe for the terminal (program names and STATUS= come from programs). */
    private static String printable(String reply) {
        StringBuilder sb = new StringBuilder(reply.length());
        for (String line : reply.split("\n", -1)) {
            if (!sb.isEmpty()) {
                sb.append('\n');
            }
            sb.append(ByteStrings.printable(line));
        }
        return sb.toString();
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
