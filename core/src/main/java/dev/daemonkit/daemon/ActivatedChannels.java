package dev.daemonkit.daemon;

import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.posix.Sockets;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Turns inherited TCP listening descriptors into {@link ServerSocketChannel}s with nothing but
 * the public JDK API and dup2: a new channel of the same family is bound to loopback port 0 (a
 * placeholder), its own descriptor is found by that port in /proc/self/fd, and the inherited
 * socket is dup2'ed over it (dup2 closes the placeholder atomically). Accepting, options,
 * blocking mode, selectors and close then all act on the inherited socket. One thing lies: the
 * channel cached its address at bind time, so its {@code getLocalAddress()} names the
 * placeholder's port — {@link SocketActivation.Listener#port()} asks the kernel instead.
 *
 * <p>Why not {@link System#inheritedChannel()} (dup2 the socket onto fd 0 first), which would
 * report the right address? It works for one socket per JVM only (the answer is cached), it
 * takes stdin, and when that channel is closed the JDK dup2s /dev/null over fds 0, 1 <em>and
 * 2</em> (InheritedChannel.detachIOStreams): a server that closes its listener to drain would
 * lose its log from then on.
 *
 * <p>Between bind and dup2 the placeholder listens on loopback for a few microseconds; a
 * connection to that random port in that moment would be reset.
 */
final class ActivatedChannels {
    /** Inherited descriptors not yet taken over: the placeholder is never one of them. */
    private final java.util.Set<Integer> pending;

    ActivatedChannels(List<Integer> inherited) {
        this.pending = new java.util.HashSet<>(inherited);
    }

    /** A channel for {@code fd} if it is a TCP listening socket; the fd is then the channel's (its number may change). */
    Optional<ServerSocketChannel> forFd(int fd) throws IOException {
        Fd f = Fd.borrow(fd);
        int domain;
        try {
            domain = Sockets.domain(f);
            if (Sockets.type(f) != Sockets.SOCK_STREAM || !Sockets.isListening(f) || domain != Sockets.AF_INET && domain != Sockets.AF_INET6) {
                return Optional.empty();
            }
        } catch (PosixException e) {
            return Optional.empty(); // not a socket
        }
        try {
            return Optional.of(overPlaceholder(f, domain));
        } catch (IOException e) {
            throw new IOException("socket activation: cannot make a channel of fd " + fd + ": " + e.getMessage(), e);
        }
    }

    private ServerSocketChannel overPlaceholder(Fd f, int domain) throws PosixException, IOException {
        boolean v4 = domain == Sockets.AF_INET;
        ServerSocketChannel ch = ServerSocketChannel.open(v4 ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
        try {
            ch.bind(new InetSocketAddress(v4 ? Inet4Address.getByName("127.0.0.1") : Inet6Address.getByName("::1"), 0), 1);
            int port = ((InetSocketAddress) ch.getLocalAddress()).getPort();
            int own = ownFd(domain, port);
            PosixFiles.dup2(f, own);
            PosixFiles.setCloseOnExec(Fd.borrow(own), true);
            Fd.adopt(f.number()).close(); // its number is free now: a later placeholder may get it
            pending.remove(f.number());
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** The descriptor of this process that listens on {@code port} (a placeholder just bound), not an inherited one. */
    private int ownFd(int domain, int port) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path p : ds) {
                int n = Integer.parseInt(p.getFileName().toString());
                if (pending.contains(n)) {
                    continue;
                }
                try {
                    Fd fd = Fd.borrow(n);
                    if (Sockets.domain(fd) == domain && Sockets.isListening(fd) && Sockets.localPort(fd) == port) {
                        return n;
                    }
                } catch (PosixException e) {
                    // not a socket, or closed meanwhile
                }
            }
        }
        throw new IOException("cannot find the descriptor of the placeholder channel on port " + port);
    }
}
