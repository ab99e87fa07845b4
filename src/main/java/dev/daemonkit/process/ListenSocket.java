package dev.daemonkit.process;

import dev.daemonkit.internal.libc.Libc;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteOrder;

/**
 * A listening TCP socket created with libc so that its descriptor can be handed to child
 * processes (the JDK's channels hide theirs): bind once in the supervisor, pass to N workers as
 * their fd 0, where {@code System.inheritedChannel()} returns it as a ServerSocketChannel.
 * IPv4 only.
 */
public final class ListenSocket implements AutoCloseable {
    private static final int AF_INET = 2;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_REUSEADDR = 2;

    private final int fd;
    private final int port;

    private ListenSocket(int fd, int port) {
        this.fd = fd;
        this.port = port;
    }

    /**
     * Binds and listens on {@code address:port} (port 0: any free port).
     *
     * @throws PosixException EADDRINUSE when the port is taken, EACCES for a privileged port
     */
    public static ListenSocket listen(InetAddress address, int port, int backlog) throws PosixException {
        if (!(address instanceof Inet4Address)) {
            throw new IllegalArgumentException("only IPv4 addresses are supported: " + address);
        }
        int fd = Libc.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        try (Arena a = Arena.ofConfined()) {
            Libc.setsockoptInt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
            MemorySegment sin = a.allocate(16, 4); // struct sockaddr_in
            sin.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
            sin.set(ValueLayout.JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) port);
            MemorySegment.copy(address.getAddress(), 0, sin, ValueLayout.JAVA_BYTE, 4, 4);
            Libc.bind(fd, sin, 16, address.getHostAddress() + ":" + port);
            Libc.listen(fd, backlog);
            Libc.getsockname(fd, sin, 16);
            int bound = Short.toUnsignedInt(sin.get(ValueLayout.JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN), 2));
            return new ListenSocket(fd, bound);
        } catch (PosixException | RuntimeException e) {
            try {
                Posix.close(fd);
            } catch (PosixException ignored) {
                // the first error matters
            }
            throw e;
        }
    }

    /** The descriptor (close-on-exec: pass it explicitly with {@link Spawn#stdin(Redirect)} or passFd). */
    public int fd() {
        return fd;
    }

    /** The bound port (useful after binding port 0). */
    public int port() {
        return port;
    }

    @Override
    public void close() throws PosixException {
        Posix.close(fd);
    }
}
