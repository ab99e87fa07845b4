package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** {@code <sys/prctl.h>}, {@code <sys/resource.h>}, {@code <poll.h>}. */
public final class Sys {
    private Sys() {
    }

    private static final class prctl {
        static final MethodHandle H = Native.errnoSetting("prctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
    }

    private static final class getrlimit {
        static final MethodHandle H = Native.errnoSetting("getrlimit", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    }

    private static final class setrlimit {
        static final MethodHandle H = Native.errnoSetting("setrlimit", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    }

    private static final class poll {
        static final MethodHandle H = Native.errnoSetting("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    }

    /** prctl(2) with up to four numeric arguments. */
    public static int prctl(int option, long a2, long a3, long a4, long a5) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((int) prctl.H.invokeExact(c, option, a2, a3, a4, a5), c, "prctl", option, a2);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** getrlimit(2); returns {soft, hard} (RLIM_INFINITY is -1). */
    public static long[] getrlimit(int resource) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment rl = a.allocate(Abi.RLIMIT_SIZE, 8);
            Native.check((int) getrlimit.H.invokeExact(c, resource, rl), c, "getrlimit", resource);
            return new long[] {rl.get(JAVA_LONG, Abi.RLIMIT_CUR_OFFSET), rl.get(JAVA_LONG, Abi.RLIMIT_MAX_OFFSET)};
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void setrlimit(int resource, long soft, long hard) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment rl = a.allocate(Abi.RLIMIT_SIZE, 8);
            rl.set(JAVA_LONG, Abi.RLIMIT_CUR_OFFSET, soft);
            rl.set(JAVA_LONG, Abi.RLIMIT_MAX_OFFSET, hard);
            Native.check((int) setrlimit.H.invokeExact(c, resource, rl), c, "setrlimit", resource, soft);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * poll(2) over {@code count} struct pollfd entries ({@link Abi#POLLFD_SIZE} bytes each). EINTR
     * is returned as 0 ready, so callers just loop.
     */
    public static int poll(MemorySegment fds, int count, int timeoutMillis) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            int r = (int) poll.H.invokeExact(c, fds, (long) count, timeoutMillis);
            if (r == -1) {
                if (Native.interrupted(c)) {
                    return 0;
                }
                throw Native.error("poll(" + count + " fds)", Native.errno(c));
            }
            return r;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
