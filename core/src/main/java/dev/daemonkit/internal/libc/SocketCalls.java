package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** {@code <sys/socket.h>}: the socket calls the JDK's channels do not expose on raw descriptors. */
public final class SocketCalls {
    private SocketCalls() {
    }

    private static final class socket {
        static final MethodHandle H = Native.errnoSetting("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class bind {
        static final MethodHandle H = Native.errnoSetting("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class listen {
        static final MethodHandle H = Native.errnoSetting("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class setsockopt {
        static final MethodHandle H = Native.errnoSetting("setsockopt",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class getsockopt {
        static final MethodHandle H = Native.errnoSetting("getsockopt",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    }

    private static final class getsockname {
        static final MethodHandle H = Native.errnoSetting("getsockname", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    }

    private static final class sendto {
        static final MethodHandle H = Native.errnoSetting("sendto",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class recvmsg {
        static final MethodHandle H = Native.errnoSetting("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    }

    public static int socket(int domain, int type, int protocol) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((int) socket.H.invokeExact(c, domain, type, protocol), c, "socket", domain, type);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** bind(2) to a raw socket address of {@code len} bytes; {@code what} names it in an error. */
    public static void bind(int fd, MemorySegment addr, int len, String what) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            Native.check((int) bind.H.invokeExact(c, fd, addr, len), c, "bind", what);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void listen(int fd, int backlog) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            Native.check((int) listen.H.invokeExact(c, fd, backlog), c, "listen", fd, backlog);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** setsockopt(2) with an int value. */
    public static void setsockoptInt(int fd, int level, int name, int value) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocateFrom(JAVA_INT, value);
            Native.check((int) setsockopt.H.invokeExact(c, fd, level, name, v, 4), c, "setsockopt", fd, name);
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
            Native.check((int) getsockopt.H.invokeExact(c, fd, level, name, v, len), c, "getsockopt", fd, name);
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
            Native.check((int) getsockname.H.invokeExact(c, fd, addr, len), c, "getsockname", fd);
            return len.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** sendto(2) with a raw socket address of {@code addrLen} bytes. */
    public static long sendto(int fd, MemorySegment buf, long len, int flags, MemorySegment addr, int addrLen)
            throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((long) sendto.H.invokeExact(c, fd, buf, len, flags, addr, addrLen), c, "sendto", fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** recvmsg(2) into a caller-built struct msghdr; returns the byte count. */
    public static long recvmsg(int fd, MemorySegment msghdr, int flags) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((long) recvmsg.H.invokeExact(c, fd, msghdr, flags), c, "recvmsg", fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
