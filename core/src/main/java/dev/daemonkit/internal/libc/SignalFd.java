package dev.daemonkit.internal.libc;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;

/** {@code <sys/signalfd.h>}: signals read from a descriptor instead of a handler. */
public final class SignalFd {
    private SignalFd() {
    }

    /** {@code int signalfd(int fd, const sigset_t *mask, int flags)} */
    private static final class signalfd {
        static final MemorySegment F = Native.symbol("signalfd");
    }

    /** signalfd(2) with a new descriptor (fd -1) for the signals in {@code mask} (a sigset_t). */
    public static int signalfd(MemorySegment mask, int flags) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((int) Native.call(signalfd.F, c, -1, Native.address(mask), flags), c, "signalfd");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(mask);
        }
    }
}
