package dev.daemonkit.daemon;

import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.posix.ProcessEnvironment;
import dev.daemonkit.posix.Sockets;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The consuming side of socket activation (sd_listen_fds_with_names(3) without libsystemd): the
 * listening sockets systemd, systemd-socket-activate or {@code daemonkit supervise --listen}
 * handed to this process as fds 3.. with {@code LISTEN_PID}, {@code LISTEN_FDS} and
 * {@code LISTEN_FDNAMES}.
 *
 * <pre>{@code
 * ServerSocketChannel http = SocketActivation.channel("http")
 *         .orElseGet(() -> ServerSocketChannel.open().bind(new InetSocketAddress(8080)));
 * }</pre>
 *
 * <p>The first call checks that {@code LISTEN_PID} is this process (else the variables were
 * meant for an ancestor and are ignored), marks the descriptors close-on-exec, and unsets the
 * three variables so that children do not take them for theirs (see {@link ProcessEnvironment}).
 * Later calls return the same sockets. TCP listening sockets come as {@code ServerSocketChannel}s
 * (see {@link ActivatedChannels} for how, and for the one thing the JDK then reports wrongly);
 * other descriptors (unix sockets, FIFOs) only as their fd number.
 */
public final class SocketActivation {
    /** sd_listen_fds(3): the first passed descriptor. */
    public static final int FIRST_FD = 3;
    private static List<Listener> taken;
    private static ActivatedChannels channels;
    private static final java.util.Map<Integer, java.nio.channels.ServerSocketChannel> MADE = new java.util.HashMap<>();

    private SocketActivation() {
    }

    /**
     * One inherited descriptor: its name ({@code unknown} when none was given), its number, and
     * the port it listens on (-1 if it is not a TCP listening socket). To pass it on to a child
     * use the fd; to accept in Java, {@link #channel(Listener)}.
     */
    public record Listener(String name, int fd, int port) {
        /** Whether it is a TCP listening socket, which {@link #channel(Listener)} turns into a channel. */
        public boolean isTcp() {
            return port >= 0;
        }
    }

    /** Every inherited descriptor, in order; empty when this process was not socket-activated. */
    public static synchronized List<Listener> listeners() throws IOException {
        if (taken == null) {
            channels = new ActivatedChannels(List.of());
            taken = take();
        }
        return taken;
    }

    /**
     * The listener as a channel (made once; the channel owns the descriptor from then on, and its
     * number may change, see {@link ActivatedChannels}).
     *
     * @throws IOException it is not a TCP listening socket, or no channel could be made
     */
    public static synchronized java.nio.channels.ServerSocketChannel channel(Listener l) throws IOException {
        java.nio.channels.ServerSocketChannel ch = MADE.get(l.fd());
        if (ch == null) {
            ch = channels.forFd(l.fd()).orElseThrow(() -> new IOException("socket activation: fd " + l.fd() + " ("
                    + l.name() + ") is not a TCP listening socket"));
            MADE.put(l.fd(), ch);
        }
        return ch;
    }

    /** The first TCP listening socket named {@code name}, as a channel. */
    public static Optional<java.nio.channels.ServerSocketChannel> channel(String name) throws IOException {
        Optional<Listener> l = listeners().stream().filter(x -> x.name().equals(name) && x.isTcp()).findFirst();
        return l.isEmpty() ? Optional.empty() : Optional.of(channel(l.get()));
    }

    /** The first TCP listening socket, whatever its name (systemd-socket-activate names none), as a channel. */
    public static Optional<java.nio.channels.ServerSocketChannel> first() throws IOException {
        Optional<Listener> l = listeners().stream().filter(Listener::isTcp).findFirst();
        return l.isEmpty() ? Optional.empty() : Optional.of(channel(l.get()));
    }

    private static List<Listener> take() throws IOException {
        String pid = System.getenv("LISTEN_PID");
        String fds = System.getenv("LISTEN_FDS");
        String names = System.getenv("LISTEN_FDNAMES");
        if (pid == null || fds == null || ProcessEnvironment.get("LISTEN_PID") == null) {
            return List.of();
        }
        ProcessEnvironment.unset("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES");
        int n;
        try {
            if (Integer.parseInt(pid.trim()) != Posix.getpid()) {
                return List.of(); // meant for the process that spawned us
            }
            n = Integer.parseInt(fds.trim());
        } catch (NumberFormatException e) {
            throw new IOException("socket activation: LISTEN_PID=" + pid + " LISTEN_FDS=" + fds + " are not numbers");
        }
        if (n < 0 || n > 1024) {
            throw new IOException("socket activation: LISTEN_FDS=" + n + " is out of range");
        }
        String[] given = names == null || names.isEmpty() ? new String[0] : names.split(":", -1);
        List<Integer> numbers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Fd fd = Fd.borrow(FIRST_FD + i);
            try {
                PosixFiles.setCloseOnExec(fd, true); // EBADF: the variables promised more than we got
            } catch (PosixException e) {
                throw new IOException("socket activation: LISTEN_FDS=" + n + " but fd " + fd.number() + " is not open", e);
            }
            numbers.add(fd.number());
        }
        List<Listener> out = new ArrayList<>();
        channels = new ActivatedChannels(numbers);
        for (int i = 0; i < n; i++) {
            int fd = numbers.get(i);
            String name = i < given.length && !given[i].isEmpty() ? given[i] : "unknown";
            out.add(new Listener(name, fd, tcpPort(fd)));
        }
        return List.copyOf(out);
    }

    /** The port of a TCP (IPv4 or IPv6) listening socket; -1 for anything else. */
    private static int tcpPort(int fd) {
        Fd f = Fd.borrow(fd);
        try {
            int domain = Sockets.domain(f);
            boolean tcp = (domain == Sockets.AF_INET || domain == Sockets.AF_INET6) && Sockets.type(f) == Sockets.SOCK_STREAM
                    && Sockets.isListening(f);
            return tcp ? Sockets.localPort(f) : -1;
        } catch (PosixException e) {
            return -1; // not a socket
        }
    }
}
