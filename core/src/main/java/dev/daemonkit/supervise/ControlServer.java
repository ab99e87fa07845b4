package dev.daemonkit.supervise;

import dev.daemonkit.daemon.HeldDirectory;
import dev.daemonkit.posix.FileStat;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.posix.Signal;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The supervisor's control socket: a unix-domain stream socket, mode 0600 (owner only), one
 * request line per connection — {@code status}, {@code start NAME}, {@code stop NAME},
 * {@code restart NAME}, {@code signal NAME SIG}, {@code reopen-logs}, {@code shutdown} — answered
 * with text lines; the first line is {@code OK} or {@code ERROR message}.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);

    /** The physical path, for messages; the socket itself is reached through {@link #dir}. */
    private final Path path;
    private final HeldDirectory dir;
    private final String name;
    /** The socket file bind made. */
    private final FileStat bound;
    private final ServerSocketChannel server;
    private final Supervisor supervisor;
    private final Thread acceptor;
    private final Semaphore connections = new Semaphore(MAX_CONNECTIONS);

    /** How long a client may take to send its request line. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    /** Longest request line (the longest real one is a few dozen bytes). */
    static final int MAX_REQUEST = 4096;
    /** Connections served at once; more are answered "busy" and closed. */
    static final int MAX_CONNECTIONS = 16;
    /** The reply when all slots are taken; clients retry on it. */
    static final String BUSY = "ERROR busy: too many control connections\n";
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    /**
     * Binds the socket (a stale socket file left by a dead supervisor is replaced).
     *
     * @throws IOException when the path is in use by a live supervisor or cannot be created
     */
    public ControlServer(Path path, Supervisor supervisor) throws IOException {
        // Its directory held open after a walk that refuses a link another user planted: the
        // socket is replaced, bound and finally removed in that very directory, never in one the
        // path leads to after a swap (root would delete or bind in whatever it points at).
        this.dir = HeldDirectory.parentOf(path);
        this.name = path.toAbsolutePath().getFileName().toString();
        this.path = dir.path().resolve(name);
        this.supervisor = supervisor;
        ServerSocketChannel ch = null;
        FileStat made;
        try {
            Path here = dir.entry(name);
            if (Files.exists(here, LinkOption.NOFOLLOW_LINKS)) {
                // Only a stale socket is replaced: a symlink or a file at the path is someone's
                // mistake or a trap (in a directory another user can write), never deleted or followed.
                FileStat stale = PosixFiles.lstat(here);
                if ((stale.mode() & S_IFMT) != S_IFSOCK) {
                    throw new IOException("control socket " + this.path + " exists and is not a socket: refusing to replace it");
                }
                if (ControlClient.isAlive(here)) {
                    throw new IOException("control socket " + this.path + " is in use by a running supervisor");
                }
                if (dir.entryIfStill(name, stale).isPresent()) {
                    Files.delete(here);
                }
            }
            ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            ServerSocketChannel binding = ch;
            // Created 0600 by bind itself under umask 177: no window where others could connect, and
            // no chmod by path afterwards (which would follow a symlink swapped in meanwhile).
            PosixFiles.withUmask(0177, () -> binding.bind(UnixDomainSocketAddress.of(here)));
            made = PosixFiles.lstat(here);
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            dir.close();
            throw e;
        }
        server = ch;
        bound = made;
        acceptor = Thread.ofPlatform().daemon(true).name("control-socket").start(this::acceptLoop);
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                if (server.isOpen()) {
                    LOG.debug("control socket accept: {}", e.getMessage());
                }
                continue;
            }
            if (!connections.tryAcquire()) {
                reject(ch); // a flood of idle clients cannot keep the owner out for long
                continue;
            }
            // Platform threads, not virtual: at most MAX_CONNECTIONS short-lived ones, and an idle
            // supervisor then never starts the virtual-thread scheduler, its unparker and its I/O
            // poller (three more threads and ~2 MiB of RSS for as long as the supervisor lives).
            Thread.ofPlatform().daemon(true).name("control-connection").start(() -> {
                try {
                    serve(ch);
                } finally {
                    connections.release();
                }
            });
        }
    }

    /**
     * One request: its line must arrive within {@link #REQUEST_TIMEOUT} and be at most
     * {@link #MAX_REQUEST} bytes, so that a client that connects and says nothing (or too much)
     * holds one of {@link #MAX_CONNECTIONS} slots for a few seconds, not the supervisor.
     */
    private void serve(SocketChannel ch) {
        try (ch; Deadline d = Deadline.closing(ch, REQUEST_TIMEOUT)) {
            String line = RequestLine.read(ch, MAX_REQUEST);
            d.cancel(); // the request may take its time (a restart waits for the stop)
            String reply = line == null ? "ERROR empty request\n" : handle(line.trim());
            OutputStream out = Channels.newOutputStream(ch);
            out.write(reply.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            LOG.debug("control connection: {}", e.toString());
        } catch (RuntimeException e) {
            LOG.warn("control request failed", e);
        }
    }

    /** "busy", read only after the client's request has been read (else it would see a reset). */
    private static void reject(SocketChannel ch) {
        Thread.ofPlatform().daemon(true).name("control-busy").start(() -> {
            try (ch; Deadline d = Deadline.closing(ch, Duration.ofSeconds(1))) {
                RequestLine.read(ch, MAX_REQUEST);
                ch.write(java.nio.ByteBuffer.wrap(BUSY.getBytes(StandardCharsets.UTF_8)));
            } catch (IOException e) {
                LOG.debug("control connection rejected: {}", e.toString());
            }
        });
    }

    /**
     * What is wrong with the request's shape (an unknown request, a missing name, an unknown
     * signal), known without asking the supervisor: {@code ctl} says it as bad usage (exit 2)
     * before connecting; empty when the request is well formed.
     */
    public static Optional<String> usageError(String request) {
        String[] w = request.trim().split("\\s+");
        return switch (w[0]) {
            case "status", "reopen-logs", "shutdown" -> Optional.empty();
            case "start", "stop", "restart" -> w.length == 2 ? Optional.empty()
                    : Optional.of(w[0] + " needs a program name (or all)");
            case "signal" -> {
                if (w.length != 2 && w.length != 3) {
                    yield Optional.of("signal needs a signal name, and optionally a program name");
                }
                try {
                    Signal.parse(w[1]);
                    yield Optional.empty();
                } catch (IllegalArgumentException e) {
                    yield Optional.of(e.getMessage());
                }
            }
            default -> Optional.of("unknown request '" + w[0] + "' (status, start, stop, restart, signal, reopen-logs, shutdown)");
        };
    }

    String handle(String request) {
        Optional<String> bad = usageError(request);
        if (bad.isPresent()) {
            return "ERROR " + bad.get() + "\n";
        }
        String[] w = request.trim().split("\\s+");
        try {
            return switch (w[0]) {
                case "status" -> "OK\n" + statusText(supervisor.status());
                case "start", "stop", "restart" -> {
                    int n = switch (w[0]) {
                        case "start" -> supervisor.start(w[1]);
                        case "stop" -> supervisor.stop(w[1]);
                        default -> supervisor.restart(w[1]);
                    };
                    yield n == 0 ? "ERROR no such program: " + w[1] + "\n" : "OK\n" + statusText(supervisor.status());
                }
                case "signal" -> {
                    Signal sig = Signal.parse(w[1]);
                    if (w.length == 2) {
                        supervisor.forward(sig);
                        yield "OK\n";
                    }
                    int n = supervisor.forward(sig, w[2]);
                    yield n == 0 ? "ERROR no such program: " + w[2] + "\n" : "OK\n";
                }
                case "reopen-logs" -> {
                    List<String> failed = supervisor.reopenLogs();
                    yield failed.isEmpty() ? "OK\n" : "ERROR cannot reopen " + String.join("; ", failed)
                            + " (still written where they were)\n";
                }
                case "shutdown" -> {
                    supervisor.shutdown();
                    yield "OK\n";
                }
                default -> throw new IllegalStateException("usageError let '" + w[0] + "' through");
            };
        } catch (IllegalArgumentException e) {
            return "ERROR " + e.getMessage() + "\n";
        }
    }

    /** One line per program copy: name, state, pid, time in state, last reason. */
    public static String statusText(List<Supervisor.ProcessStatus> list) {
        StringBuilder sb = new StringBuilder();
        for (Supervisor.ProcessStatus s : list) {
            long secs = Duration.between(s.since(), Instant.now()).toSeconds();
            // Padded by hand, not String.format: an interpreted supervisor (./daemonkit runs it
            // -Xint) parses the format on every call, ~2 ms of each `ctl status`.
            pad(sb, s.name(), 20);
            pad(sb, s.state().toString(), 9);
            pad(sb, s.pid() > 0 ? "pid " + s.pid() : "-", 10);
            pad(sb, "for " + secs + "s", 12);
            sb.append(s.lastReason())
                    .append(s.service().map(x -> (s.lastReason().isEmpty() ? "" : " ") + "[" + x + "]").orElse(""));
            while (sb.charAt(sb.length() - 1) == ' ') {
                sb.setLength(sb.length() - 1); // no padding after the last column
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** {@code text} left-justified in {@code width} columns (never cut), then a space: %-Ns. */
    private static void pad(StringBuilder sb, String text, int width) {
        sb.append(text);
        for (int i = text.length(); i < width; i++) {
            sb.append(' ');
        }
        sb.append(' ');
    }

    @Override
    public void close() throws IOException {
        server.close();
        try {
            // Only our socket, in the directory it was bound in (another file put at its name
            // since is left alone).
            Optional<Path> ours = dir.entryIfStill(name, bound);
            if (ours.isPresent()) {
                Files.deleteIfExists(ours.get());
            }
        } finally {
            dir.close();
            acceptor.interrupt();
        }
    }
}
