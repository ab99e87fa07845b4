package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;

/** {@code <sys/prctl.h>}, {@code <sys/resource.h>}, {@code <poll.h>}. */
public final class Sys {
    private Sys() {
    }

    /** {@code int prctl(int option, ...)} */
    private static final class prctl {
        static final MemorySegment F = Native.symbol("prctl");
    }

    /** {@code int getrlimit(int resource, struct rlimit *rlim)} */
    private static final class getrlimit {
        static final MemorySegment F = Native.symbol("getrlimit");
    }

    /** {@code int setrlimit(int resource, const struct rlimit *rlim)} */
    private static final class setrlimit {
        static final MemorySegment F = Native.symbol("setrlimit");
    }

    /** {@code int poll(struct pollfd *fds, nfds_t nfds, int timeout)} */
    private static final class poll {
        static final MemorySegment F = Native.symbol("poll");
    }

    /** prctl(2) with up to four numeric arguments. */
    public static int prctl(int option, long a2, long a3, long a4, long a5) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((int) Native.call(prctl.F, c, option, a2, a3, a4, a5), c, "prctl", option, a2);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** getrlimit(2); returns {soft, hard} (RLIM_INFINITY is -1). */
    public static long[] getrlimit(int resource) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment rl = a.allocate(Abi.RLIMIT_SIZE, 8);
            Native.check((int) Native.call(getrlimit.F, c, resource, Native.address(rl)), c, "getrlimit", resource);
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
            Native.check((int) Native.call(setrlimit.F, c, resource, Native.address(rl)), c, "setrlimit", resource,
                    soft);
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
            int r = (int) Native.call(poll.F, c, Native.address(fds), count, timeoutMillis);
            if (r == -1) {
                if (Native.interrupted(c)) {
                    return 0;
                }
                throw Native.error("poll(" + count + " fds)", Native.errno(c));
            }
            return r;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(fds);
        }
    }
}
