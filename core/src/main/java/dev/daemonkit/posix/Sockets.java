package dev.daemonkit.posix;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.daemonkit.internal.libc.Abi;
import dev.daemonkit.internal.libc.SocketCalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Sockets the JDK's channels cannot make or hand over: a TCP listening socket whose descriptor
 * can be passed to children (prefork, socket activation), and unix datagram sockets — the JDK has
 * none — for sd_notify, with the sender's credentials (SCM_CREDENTIALS) on the receiving side.
 * Unix socket names are paths, or {@code @name} for the abstract namespace.
 */
public final class Sockets {
    /** Address families and socket types, as {@link #domain} and {@link #type} report them. */
    public static final int AF_UNIX = Abi.AF_UNIX;
    public static final int AF_INET = Abi.AF_INET;
    public static final int AF_INET6 = Abi.AF_INET6;
    public static final int SOCK_STREAM = Abi.SOCK_STREAM;
    public static final int SOCK_DGRAM = Abi.SOCK_DGRAM;

    /** Descriptors one datagram may pass that are received (and closed); more are dropped by the kernel. */
    private static final int PASSED_FDS_MAX = 16;

    private Sockets() {
    }

    /** One datagram and, when the socket asked for them ({@link #passCredentials}), its sender's ids. */
    public record Datagram(byte[] data, int senderPid, int senderUid, int senderGid, boolean truncated) {
    }

    /**
     * A listening TCP socket on an IPv4 address (port 0: any free port), SO_REUSEADDR, close-on-exec.
     *
     * @throws PosixException EADDRINUSE when the port is taken, EACCES for a privileged port
     */
    public static Fd listenTcp(InetAddress address, int port, int backlog) throws PosixException {
        if (!(address instanceof Inet4Address)) {
            throw new IllegalArgumentException("only IPv4 addresses are supported: " + address);
        }
        Fd fd = Fd.adopt(SocketCalls.socket(Abi.AF_INET, Abi.SOCK_STREAM | Abi.SOCK_CLOEXEC, 0));
        try (Arena a = Arena.ofConfined()) {
            SocketCalls.setsockoptInt(fd.number(), Abi.SOL_SOCKET, Abi.SO_REUSEADDR, 1);
            MemorySegment sin = a.allocate(Abi.SOCKADDR_IN_SIZE, 4);
            sin.set(JAVA_SHORT, 0, (short) Abi.AF_INET);
            sin.set(JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN), Abi.SIN_PORT_OFFSET, (short) port);
            MemorySegment.copy(address.getAddress(), 0, sin, JAVA_BYTE, Abi.SIN_ADDR_OFFSET, 4);
            SocketCalls.bind(fd.number(), sin, (int) Abi.SOCKADDR_IN_SIZE, address.getHostAddress() + ":" + port);
            SocketCalls.listen(fd.number(), backlog);
            return fd;
        } catch (PosixException | RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /** The local port of an IPv4 or IPv6 socket (getsockname). */
    public static int localPort(Fd fd) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment addr = a.allocate(128, 8);
            SocketCalls.getsockname(fd.number(), addr, 128);
            return Short.toUnsignedInt(addr.get(JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN), Abi.SIN_PORT_OFFSET));
        }
    }

    /** getsockopt(SOL_SOCKET, SO_DOMAIN): AF_INET, AF_INET6, AF_UNIX... ENOTSOCK for a non-socket. */
    public static int domain(Fd fd) throws PosixException {
        return SocketCalls.getsockoptInt(fd.number(), Abi.SOL_SOCKET, Abi.SO_DOMAIN);
    }

    /** getsockopt(SOL_SOCKET, SO_TYPE): SOCK_STREAM, SOCK_DGRAM... */
    public static int type(Fd fd) throws PosixException {
        return SocketCalls.getsockoptInt(fd.number(), Abi.SOL_SOCKET, Abi.SO_TYPE);
    }

    /** getsockopt(SOL_SOCKET, SO_ACCEPTCONN): whether it is a listening socket. */
    public static boolean isListening(Fd fd) throws PosixException {
        return SocketCalls.getsockoptInt(fd.number(), Abi.SOL_SOCKET, Abi.SO_ACCEPTCONN) != 0;
    }

    /** A unix datagram socket, close-on-exec. */
    public static Fd unixDatagram() throws PosixException {
        return Fd.adopt(SocketCalls.socket(Abi.AF_UNIX, Abi.SOCK_DGRAM | Abi.SOCK_CLOEXEC, 0));
    }

    /** bind(2) a unix socket to a path or {@code @abstract} name. */
    public static void bindUnix(Fd fd, String name) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            Addr addr = unixAddress(a, name);
            SocketCalls.bind(fd.number(), addr.segment(), addr.length(), name);
        }
    }

    /** SO_PASSCRED: every datagram received carries its sender's pid, uid and gid. */
    public static void passCredentials(Fd fd, boolean on) throws PosixException {
        SocketCalls.setsockoptInt(fd.number(), Abi.SOL_SOCKET, Abi.SO_PASSCRED, on ? 1 : 0);
    }

    /** Sends one datagram (MSG_NOSIGNAL) to a unix socket given as a path or {@code @abstract} name. */
    public static void sendTo(Fd fd, String name, byte[] message) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            Addr addr = unixAddress(a, name);
            MemorySegment buf = a.allocateFrom(JAVA_BYTE, message);
            SocketCalls.sendto(fd.number(), buf, message.length, Abi.MSG_NOSIGNAL, addr.segment(), addr.length());
        }
    }

    /**
     * Receives one datagram of at most {@code max} bytes, with the sender's credentials when
     * {@link #passCredentials} is on (else -1 for each). Empty when {@code dontWait} and none is
     * queued (EAGAIN). Descriptors a sender passes along (SCM_RIGHTS, e.g. systemd-notify's
     * BARRIER=1 pipe) are closed at once: closing is all such a sender waits for, and a descriptor
     * kept by mistake would leak.
     */
    public static Optional<Datagram> receive(Fd fd, int max, boolean dontWait) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Math.max(1, max));
            MemorySegment iov = a.allocate(Abi.IOVEC_SIZE, 8);
            iov.set(ADDRESS, Abi.IOVEC_BASE_OFFSET, buf);
            iov.set(JAVA_LONG, Abi.IOVEC_LEN_OFFSET, max);
            long controlSize = Abi.CMSG_SPACE_UCRED + Abi.CMSGHDR_SIZE + 4L * PASSED_FDS_MAX;
            MemorySegment control = a.allocate(controlSize, 8);
            MemorySegment msg = a.allocate(Abi.MSGHDR_SIZE, 8);
            msg.set(ADDRESS, Abi.MSGHDR_IOV_OFFSET, iov);
            msg.set(JAVA_LONG, Abi.MSGHDR_IOVLEN_OFFSET, 1);
            msg.set(ADDRESS, Abi.MSGHDR_CONTROL_OFFSET, control);
            msg.set(JAVA_LONG, Abi.MSGHDR_CONTROLLEN_OFFSET, controlSize);
            long n;
            try {
                n = SocketCalls.recvmsg(fd.number(), msg, Abi.MSG_CMSG_CLOEXEC | (dontWait ? Abi.MSG_DONTWAIT : 0));
            } catch (PosixException e) {
                if (e.errno() == Errno.EAGAIN) {
                    return Optional.empty();
                }
                throw e;
            }
            int pid = -1;
            int uid = -1;
            int gid = -1;
            long controlLen = msg.get(JAVA_LONG, Abi.MSGHDR_CONTROLLEN_OFFSET);
            // CMSG_FIRSTHDR / CMSG_NXTHDR: each header's length, rounded up to 8, leads to the next.
            long at = 0;
            while (at + Abi.CMSGHDR_SIZE <= controlLen) {
                long len = control.get(JAVA_LONG, at + Abi.CMSG_LEN_OFFSET);
                if (len < Abi.CMSGHDR_SIZE || at + len > controlLen) {
                    break;
                }
                int level = control.get(JAVA_INT, at + Abi.CMSG_LEVEL_OFFSET);
                int type = control.get(JAVA_INT, at + Abi.CMSG_TYPE_OFFSET);
                long data = at + Abi.CMSGHDR_SIZE; // CMSG_DATA: right after the aligned header
                if (level == Abi.SOL_SOCKET && type == Abi.SCM_CREDENTIALS && len >= Abi.CMSGHDR_SIZE + Abi.UCRED_SIZE) {
                    pid = control.get(JAVA_INT, data + Abi.UCRED_PID_OFFSET);
                    uid = control.get(JAVA_INT, data + Abi.UCRED_UID_OFFSET);
                    gid = control.get(JAVA_INT, data + Abi.UCRED_GID_OFFSET);
                } else if (level == Abi.SOL_SOCKET && type == Abi.SCM_RIGHTS) {
                    for (long i = data; i + 4 <= at + len; i += 4) {
                        Fd.adopt(control.get(JAVA_INT, i)).close();
                    }
                }
                at += (len + 7) & ~7L;
            }
            boolean truncated = (msg.get(JAVA_INT, Abi.MSGHDR_FLAGS_OFFSET) & Abi.MSG_TRUNC) != 0;
            return Optional.of(new Datagram(buf.asSlice(0, n).toArray(JAVA_BYTE), pid, uid, gid, truncated));
        }
    }

    private record Addr(MemorySegment segment, int length) {
    }

    /** struct sockaddr_un for a path (NUL-terminated) or an abstract name ("@name": leading NUL, no terminator). */
    private static Addr unixAddress(Arena a, String name) {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        if (b.length == 0 || b.length >= Abi.SUN_PATH_MAX) {
            throw new IllegalArgumentException("a unix socket name must be 1.." + (Abi.SUN_PATH_MAX - 1) + " bytes: " + name);
        }
        MemorySegment addr = a.allocate(Abi.SOCKADDR_UN_SIZE, 2);
        addr.set(JAVA_SHORT, 0, (short) Abi.AF_UNIX);
        MemorySegment.copy(b, 0, addr, JAVA_BYTE, Abi.SUN_PATH_OFFSET, b.length);
        if (b[0] == '@') {
            addr.set(JAVA_BYTE, Abi.SUN_PATH_OFFSET, (byte) 0);
            return new Addr(addr, (int) Abi.SUN_PATH_OFFSET + b.length);
        }
        return new Addr(addr, (int) Abi.SUN_PATH_OFFSET + b.length + 1);
    }
}
