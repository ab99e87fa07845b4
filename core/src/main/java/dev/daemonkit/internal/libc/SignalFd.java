package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** {@code <sys/signalfd.h>}: signals read from a descriptor instead of a handler. */
public final class SignalFd {
    private SignalFd() {
    }

    private static final class signalfd {
        static final MethodHandle H = Native.errnoSetting("signalfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    }

    /** signalfd(2) with a new descriptor (fd -1) for the signals in {@code mask} (a sigset_t). */
    public static int signalfd(MemorySegment mask, int flags) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((int) signalfd.H.invokeExact(c, -1, mask, flags), c, "signalfd");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
