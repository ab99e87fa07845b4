package dev.daemonkit.cli;

import dev.daemonkit.daemon.SocketActivation;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.process.ListenSocket;
import dev.daemonkit.supervise.ProgramSpec;
import dev.daemonkit.supervise.RestartPolicy;
import dev.daemonkit.supervise.Supervisor;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code daemonkit prefork}: one listening socket, N supervised workers sharing it. */
final class PreforkCommand implements Command {
    private static final Logger LOG = LoggerFactory.getLogger(PreforkCommand.class);

    @Override
    public String name() {
        return "prefork";
    }

    @Override
    public String summary() {
        return "bind a port once and keep N workers accepting on it (tornado/gunicorn style)";
    }

    @Override
    public String usage() {
        return """
            usage: daemonkit prefork --workers N --listen HOST:PORT [supervise options] -- CMD [ARGS...]

            Under socket activation (LISTEN_FDS from systemd, systemd-socket-activate or 'daemonkit
            supervise --listen'), the first inherited TCP socket is used and --listen may be omitted.
            Binds HOST:PORT once and starts N copies of CMD, each with the listening socket as its
            fd 0 (DAEMONKIT_LISTEN_FD=0): in Java, System.inheritedChannel() returns it as a
            ServerSocketChannel; the kernel spreads connections over the workers' accept calls.
            Workers that die are restarted (--restart defaults to always here); the others keep
            serving, so only the dying worker's own connections are lost.

            options:
              --workers N              number of workers (1..256)
              --listen HOST:PORT       IPv4 address and port (port 0: any free port, printed at start)
            """ + SuperviseArgs.optionsHelp(name(), defaults("CMD", List.of("CMD")).build()) + """


            exit: 0 after SIGTERM/SIGINT stopped the workers; 1 cannot listen (port in use);
                  2 bad usage.""";
    }

    /** Under socket activation: the inherited socket (the first TCP one) is the workers' fd 0; nothing is bound here. */
    private int runActivated(Args a, int workers, SocketActivation.Listener l, PrintStream err) throws Exception {
        if (a.get("listen").isPresent()) {
            LOG.info("socket activation: using inherited fd {} (port {}), not --listen {}", l.fd(), l.port(),
                    a.get("listen").get());
        }
        List<String> command = a.requireCommand();
        SuperviseArgs.checkProgram(command);
        ProgramSpec worker = SuperviseArgs.program(a, defaults(Path.of(command.get(0)).getFileName().toString(), command)
                .numprocs(workers)).toBuilder().listenFd(l.fd()).build();
        LOG.info("listening on inherited port {} ({}) with {} workers", l.port(), l.name(), workers);
        return SuperviseArgs.runSupervisor(a, () -> List.of(worker), Supervisor.Mode.UNTIL_SHUTDOWN, err);
    }

    /** A worker's defaults: those of every program, but restarted whatever its exit status. */
    private static ProgramSpec.Builder defaults(String name, List<String> command) {
        return ProgramSpec.builder(name, command).restart(RestartPolicy.ALWAYS);
    }

    @Override
    public int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Args a = SuperviseArgs.parse(name(), argv, Set.of("workers", "listen"));
        int workers = a.integer("workers", 0, 1, 256);
        if (workers == 0) {
            throw new UsageException("--workers N is required");
        }
        Optional<SocketActivation.Listener> activated = SocketActivation.listeners().stream()
                .filter(SocketActivation.Listener::isTcp).findFirst();
        if (activated.isPresent()) {
            return runActivated(a, workers, activated.get(), err);
        }
        String listen = a.require("listen");
        int colon = listen.lastIndexOf(':');
        if (colon <= 0) {
            throw new UsageException("--listen needs HOST:PORT, e.g. 127.0.0.1:9100");
        }
        InetAddress host;
        int port;
        try {
            host = InetAddress.getByName(listen.substring(0, colon));
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (UnknownHostException | NumberFormatException e) {
            throw new UsageException("--listen: bad HOST:PORT " + listen);
        }
        if (port < 0 || port > 65535) {
            throw new UsageException("--listen: port must be 0..65535");
        }
        List<String> command = a.requireCommand();
        SuperviseArgs.checkProgram(command);
        ProgramSpec worker = SuperviseArgs.program(a, defaults(Path.of(command.get(0)).getFileName().toString(), command)
                .numprocs(workers));
        SuperviseArgs.checkLogs(worker);
        ListenSocket[] socket = new ListenSocket[1];
        try {
            // Bound by the process that supervises (after daemonizing), before readiness is reported.
            return SuperviseArgs.runSupervisor(a, () -> {
                try {
                    socket[0] = ListenSocket.listen(host, port, 128);
                } catch (PosixException e) {
                    throw new java.io.IOException("cannot listen on " + listen + ": " + e.getMessage(), e);
                }
                LOG.info("listening on {}:{} with {} workers", host.getHostAddress(), socket[0].port(), workers);
                return List.of(worker.toBuilder().listenFd(socket[0].fd().number()).build());
            }, Supervisor.Mode.UNTIL_SHUTDOWN, err);
        } finally {
            if (socket[0] != null) {
                socket[0].close();
            }
        }
    }
}
