package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;

/** {@code <sys/socket.h>}: the socket calls the JDK's channels do not expose on raw descriptors. */
public final class SocketCalls {
    private SocketCalls() {
    }

    /** {@code int socket(int domain, int type, int protocol)} */
    private static final class socket {
        static final MemorySegment F = Native.symbol("socket");
    }

    /** {@code int bind(int fd, const struct sockaddr *addr, socklen_t len)} */
    private static final class bind {
        static final MemorySegment F = Native.symbol("bind");
    }

    /** {@code int listen(int fd, int backlog)} */
    private static final class listen {
        static final MemorySegment F = Native.symbol("listen");
    }

    /** {@code int setsockopt(int fd, int level, int name, const void *value, socklen_t len)} */
    private static final class setsockopt {
        static final MemorySegment F = Native.symbol("setsockopt");
    }

    /** {@code int getsockopt(int fd, int level, int name, void *value, socklen_t *len)} */
    private static final class getsockopt {
        static final MemorySegment F = Native.symbol("getsockopt");
    }

    /** {@code int getsockname(int fd, struct sockaddr *addr, socklen_t *len)} */
    private static final class getsockname {
        static final MemorySegment F = Native.symbol("getsockname");
    }

    /**
     * {@code ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr,
     * socklen_t addrlen)}
     */
    private static final class sendto {
        static final MemorySegment F = Native.symbol("sendto");
    }

    /** {@code ssize_t recvmsg(int fd, struct msghdr *msg, int flags)} */
    private static final class recvmsg {
        static final MemorySegment F = Native.symbol("recvmsg");
    }

    public static int socket(int domain, int type, int protocol) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((int) Native.call(socket.F, c, domain, type, protocol), c, "socket", domain, type);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** bind(2) to a raw socket address of {@code len} bytes; {@code what} names it in an error. */
    public static void bind(int fd, MemorySegment addr, int len, String what) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            Native.check((int) Native.call(bind.F, c, fd, Native.address(addr), len), c, "bind", what);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(addr);
        }
    }

    public static void listen(int fd, int backlog) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            Native.check((int) Native.call(listen.F, c, fd, backlog), c, "listen", fd, backlog);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** setsockopt(2) with an int value. */
    public static void setsockoptInt(int fd, int level, int name, int value) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocateFrom(JAVA_INT, value);
            Native.check((int) Native.call(setsockopt.F, c, fd, level, name, Native.address(v), 4), c, "setsockopt",
                    fd, name);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** getsockopt(2) of an int option. */
    public static int getsockoptInt(int fd, int level, int name) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            MemorySegment len = a.allocateFrom(JAVA_INT, 4);
            Native.check((int) Native.call(getsockopt.F, c, fd, level, name, Native.address(v), Native.address(len)),
                    c, "getsockopt", fd, name);
            return v.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** getsockname(2) into {@code addr} (capacity {@code cap}); returns the address length. */
    public static int getsockname(int fd, MemorySegment addr, int cap) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment len = a.allocateFrom(JAVA_INT, cap);
            Native.check((int) Native.call(getsockname.F, c, fd, Native.address(addr), Native.address(len)), c,
                    "getsockname", fd);
            return len.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(addr);
        }
    }

    /** sendto(2) with a raw socket address of {@code addrLen} bytes. */
    public static long sendto(int fd, MemorySegment buf, long len, int flags, MemorySegment addr, int addrLen)
            throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check(Native.call(sendto.F, c, fd, Native.address(buf), len, flags, Native.address(addr),
                    addrLen), c, "sendto", fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(buf);
            Reference.reachabilityFence(addr);
        }
    }

    /** recvmsg(2) into a caller-built struct msghdr; returns the byte count. */
    public static long recvmsg(int fd, MemorySegment msghdr, int flags) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check(Native.call(recvmsg.F, c, fd, Native.address(msghdr), flags), c, "recvmsg", fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(msghdr);
        }
    }
}
