package dev.daemonkit.process;

import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Sockets;
import java.net.InetAddress;

/**
 * A listening TCP socket created with libc so that its descriptor can be handed to child
 * processes (the JDK's channels hide theirs): bind once in the supervisor, pass to N workers as
 * their fd 0, where {@code System.inheritedChannel()} returns it as a ServerSocketChannel.
 * IPv4 only.
 */
public final class ListenSocket implements AutoCloseable {
    private final Fd fd;
    private final int port;

    private ListenSocket(Fd fd, int port) {
        this.fd = fd;
        this.port = port;
    }

    /**
     * Binds and listens on {@code address:port} (port 0: any free port).
     *
     * @throws PosixException EADDRINUSE when the port is taken, EACCES for a privileged port
     */
    public static ListenSocket listen(InetAddress address, int port, int backlog) throws PosixException {
        Fd fd = Sockets.listenTcp(address, port, backlog);
        try {
            return new ListenSocket(fd, Sockets.localPort(fd));
        } catch (PosixException | RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /** The descriptor (close-on-exec: pass it explicitly with {@link Spawn#stdin(Redirect)} or passFd). */
    public Fd fd() {
        return fd;
    }

    /** The bound port (useful after binding port 0). */
    public int port() {
        return port;
    }

    @Override
    public void close() {
        fd.close();
    }
}
