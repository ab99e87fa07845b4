package dev.daemonkit.cli;

import dev.daemonkit.daemon.Daemon;
import dev.daemonkit.daemon.DaemonOptions;
import dev.daemonkit.daemon.Privileges;
import dev.daemonkit.daemon.SocketActivation;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.ProcessControl;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.process.JvmSignals;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code daemonkit serve}: the example daemon, a static file server. */
final class ServeCommand implements Command {
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);
    private static final Duration DRAIN = Duration.ofSeconds(5);

    @Override
    public String name() {
        return "serve";
    }

    @Override
    public String summary() {
        return "the example daemon: a static file server (foreground, or detached with --pidfile)";
    }

    @Override
    public String usage() {
        return """
            usage: daemonkit serve --root DIR [--port 9000] [--bind 127.0.0.1] [--pidfile P] [--log FILE]
                                   [--user U [--group G]] [--prevent-core] [--max-connections 512]
                                   [--request-timeout 10s] [--idle-timeout 5s]

            Serves the regular files under DIR over HTTP/1.1 (GET and HEAD, keep-alive; no directory
            listings; traversal, encoded traversal and symlinks leading out of DIR get 404/400;
            hidden names such as .git/ and .env get 404, .well-known/ is served).
            Limits: request-target 8192 bytes (else 414), 64 path segments (else 400), request head
            16384 bytes and 100 header fields (else 431).

            options:
              --root DIR             the directory served (required)
              --port N               TCP port (default 9000; 0: any free port, printed at start)
              --bind ADDR            address to listen on (default 127.0.0.1)
              --pidfile P            daemonize (Daemon.daemonize()) and return once the port is
                                     bound; stop it with 'daemonkit stop --pidfile P'
              --log FILE             the detached server's access log, with --pidfile (default
                                     /dev/null); in the foreground it logs to stderr
              --user U, --group G    bind first (as root, e.g. port 80), then switch to that
                                     account for good
              --prevent-core         RLIMIT_CORE 0: no core dumps
              --max-connections N    served at once, one virtual thread each; more wait in the
                                     listen backlog (default 512)
              --request-timeout D    a request head must arrive within it (else 408 and close; a
                                     client that sends nothing is closed), and a client must take
                                     response bytes within it (default 10s)
              --idle-timeout D       a kept-alive connection without a new request is closed
                                     (default 5s)

            Socket activation: given listening sockets (LISTEN_FDS, from systemd,
            systemd-socket-activate or 'daemonkit supervise --listen'), it serves on the one named
            http, else the first, and ignores --bind/--port; connections that arrived before it
            started wait in the backlog.

            signals: TERM or INT: stop accepting, let requests in flight finish (up to 5 s), exit 0.
            HUP ('daemonkit reload'): resolve --root again (a switched 'current' symlink takes effect).
            USR1 ('daemonkit reopen-logs'): reopen --log after logrotate moved it.

            exit: 0 stopped by a signal, or started (detached); 1 cannot listen (port in use...),
                  or cannot switch user; 2 bad usage (missing --root, not a directory, bad port).""";
    }

    /** The socket handed over by socket activation: the TCP listener named "http", else the first TCP one. */
    private static Optional<SocketActivation.Listener> activatedSocket() throws IOException {
        List<SocketActivation.Listener> ls = SocketActivation.listeners();
        return ls.stream().filter(l -> l.isTcp() && l.name().equals("http")).findFirst()
                .or(() -> ls.stream().filter(SocketActivation.Listener::isTcp).findFirst());
    }

    /**
     * Checked as the account served as, after the switch: a --root it cannot read would get 404 for
     * every request, and only the first reload's error would tell why (a clone under a 0700 home);
     * a --log in a directory it cannot search could not be reopened after logrotate moved it, and
     * only the old log would say so.
     */
    private static Optional<String> unusableAsUser(Path root, Optional<Path> log, String user) {
        if (!(Files.isReadable(root) && Files.isExecutable(root))) {
            return Optional.of("--root " + root + " is not readable by " + user + ": nothing would be served; give that"
                    + " user read and search access, or serve another directory");
        }
        Optional<Path> logDir = log.map(l -> l.toAbsolutePath().getParent());
        if (logDir.isPresent() && !Files.isExecutable(logDir.get())) {
            return Optional.of("--log " + log.get() + ": directory " + logDir.get() + " is not searchable by " + user
                    + ": reopen-logs could not reopen the log after logrotate moves it; give that user search access"
                    + " to the directory, or log elsewhere");
        }
        return Optional.empty();
    }

    private static Duration positive(Args a, String option, Duration dflt) throws UsageException {
        Duration d = a.duration(option, dflt);
        if (d.isZero()) {
            throw new UsageException("--" + option + " must be longer than 0");
        }
        return d;
    }

    @Override
    public int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Args a = Args.parse(name(), argv, Set.of("root", "port", "bind", "pidfile", "log", "user", "group",
                "max-connections", "request-timeout", "idle-timeout"),
                Set.of("prevent-core"), 0);
        if (a.hasCommand()) {
            throw new UsageException("no command goes after -- (it serves files itself)");
        }
        Path root = Path.of(a.require("root")).toAbsolutePath();
        if (!Files.isDirectory(root)) {
            throw UsageException.badInput("--root " + root + " is not a directory");
        }
        int port = a.integer("port", 9000, 0, 65535);
        InetAddress bind;
        try {
            bind = InetAddress.getByName(a.get("bind").orElse("127.0.0.1"));
        } catch (UnknownHostException e) {
            throw new UsageException("--bind: unknown address " + a.get("bind").get());
        }
        if (a.get("log").isPresent() && a.get("pidfile").isEmpty()) {
            throw new UsageException("--log applies to the detached server: add --pidfile");
        }
        if (a.get("group").isPresent() && a.get("user").isEmpty()) {
            throw new UsageException("--group needs --user");
        }
        Optional<Privileges.Account> account = Optional.empty();
        if (a.get("user").isPresent()) {
            try {
                account = Optional.of(Privileges.lookup(a.get("user").get(), a.get("group").orElse(null)));
            } catch (PosixException e) {
                throw new UsageException("--user/--group: " + e.getMessage());
            }
        }
        Duration requestTimeout = positive(a, "request-timeout", HttpLimits.DEFAULTS.requestTimeout());
        HttpLimits limits = HttpLimits.DEFAULTS
                .withTimeouts(requestTimeout, positive(a, "idle-timeout", HttpLimits.DEFAULTS.idleTimeout()),
                        requestTimeout)
                .withMaxConnections(a.integer("max-connections", HttpLimits.DEFAULTS.maxConnections(), 1, 100_000));
        FileServer[] server = new FileServer[1];
        InetSocketAddress address = new InetSocketAddress(bind, port);
        int activatedPort = -1;
        if (a.get("pidfile").isPresent() && !SocketActivation.listeners().isEmpty()) {
            throw new UsageException("socket-activated (LISTEN_FDS): serve runs in the foreground; drop --pidfile");
        }
        boolean preforked = "0".equals(System.getenv("DAEMONKIT_LISTEN_FD"));
        if (a.get("pidfile").isPresent() && preforked) {
            throw new UsageException("a prefork worker (DAEMONKIT_LISTEN_FD=0): serve runs in the foreground; drop --pidfile");
        }
        Optional<Daemon> daemon = Optional.empty();
        if (a.get("pidfile").isPresent()) {
            DaemonOptions.Builder o = DaemonOptions.builder().name("daemonkit serve").pidfile(Path.of(a.get("pidfile").get()))
                    .preventCore(a.flag("prevent-core"))
                    // Bound while still root, before the switch to --user: port 80 works.
                    .privilegedStep(() -> server[0] = FileServer.bind(root, address, limits));
            a.get("log").ifPresent(l -> o.log(Path.of(l)));
            a.get("user").ifPresent(o::user);
            a.get("group").ifPresent(o::group);
            try {
                daemon = Optional.of(Daemon.daemonize(o.build())); // the launcher exits inside
            } catch (IOException e) {
                err.println("daemonkit serve: " + e.getMessage());
                return FAILED;
            }
        } else {
            try {
                Optional<SocketActivation.Listener> activated = activatedSocket();
                if (activated.isPresent()) {
                    SocketActivation.Listener l = activated.get();
                    LOG.info("socket activation: serving on inherited fd {} ({}, port {}); --bind/--port not used", l.fd(),
                            l.name(), l.port());
                    server[0] = FileServer.on(root, SocketActivation.channel(l), limits);
                    activatedPort = l.port(); // the channel may report a placeholder's port (ActivatedChannels)
                } else if (preforked) {
                    // A prefork worker: the master's listening socket is fd 0, shared by every worker.
                    if (!(System.inheritedChannel() instanceof ServerSocketChannel listening)) {
                        err.println("daemonkit serve: DAEMONKIT_LISTEN_FD=0, but fd 0 is not a listening TCP socket");
                        return FAILED;
                    }
                    server[0] = FileServer.on(root, listening, limits);
                    activatedPort = ((InetSocketAddress) listening.getLocalAddress()).getPort();
                    LOG.info("prefork worker: serving on inherited fd 0 (port {}); --bind/--port not used", activatedPort);
                } else {
                    server[0] = FileServer.bind(root, address, limits);
                }
            } catch (IOException e) {
                err.println("daemonkit serve: " + e.getMessage());
                return FAILED;
            }
            if (a.flag("prevent-core")) {
                ProcessControl.setrlimit(ProcessControl.Resource.CORE, new ProcessControl.RLimit(0, 0));
            }
            if (account.isPresent()) {
                try {
                    Privileges.drop(account.get());
                } catch (PosixException e) {
                    err.println("daemonkit serve: " + e.getMessage());
                    return FAILED;
                }
            }
        }
        FileServer fs = server[0];
        Optional<String> unusable = account.isPresent() ? unusableAsUser(root, a.get("log").map(Path::of),
                a.get("user").get() + " (uid " + Posix.getuid() + ")") : Optional.empty();
        if (unusable.isPresent()) {
            String why = unusable.get();
            daemon.ifPresent(d -> d.failed(why));
            err.println("daemonkit serve: " + why);
            fs.stop(Duration.ZERO);
            return FAILED;
        }
        CountDownLatch stop = new CountDownLatch(1);
        JvmSignals.handle(List.of(Signal.SIGTERM, Signal.SIGINT), JvmSignals.WhenIgnored.LEAVE, s -> {
            LOG.info("{}: stopping, requests in flight may finish within {} s", s, DRAIN.toSeconds());
            stop.countDown();
        });
        Runnable reload = () -> {
            try {
                LOG.info("reloaded: serving {}", fs.reload());
            } catch (IOException e) {
                LOG.error("reload failed, still serving the previous root: {}", e.toString());
            }
        };
        if (daemon.isPresent()) {
            daemon.get().onReload(reload);
        } else {
            JvmSignals.handle(List.of(Signal.SIGHUP), JvmSignals.WhenIgnored.LEAVE, s -> reload.run());
            // In the foreground the log is stderr, nothing to reopen; but a supervisor forwards
            // reopen-logs' USR1 to its programs, and it must not kill the server (its default action).
            JvmSignals.handle(List.of(Signal.SIGUSR1), JvmSignals.WhenIgnored.LEAVE,
                    s -> LOG.info("{}: logging to stderr, no log file to reopen", s));
        }
        fs.start();
        String url = "http://" + bind.getHostAddress() + ":" + (activatedPort >= 0 ? activatedPort : fs.port()) + "/";
        LOG.info("serving {} on {}", root, url);
        daemon.ifPresent(d -> d.ready("serving " + root + " on " + url));
        stop.await();
        fs.stop(DRAIN);
        LOG.info("stopped");
        return OK;
    }
}
