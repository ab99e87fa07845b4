package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * {@code <sys/pidfd.h>}: pidfd_open and pidfd_send_signal — glibc's wrappers where it has them
 * (2.36+), else the raw system calls (same numbers on every architecture).
 */
public final class Pidfd {
    private Pidfd() {
    }

    private static final class pidfd_open {
        static final MethodHandle H = Native.optionalErrnoSetting("pidfd_open",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT)).orElse(null);
    }

    private static final class pidfd_send_signal {
        static final MethodHandle H = Native.optionalErrnoSetting("pidfd_send_signal",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT)).orElse(null);
    }

    private static final class syscall4 {
        static final MethodHandle H = Native.errnoSetting("syscall", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG,
                JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1));
    }

    /** pidfd_open(2); close-on-exec. */
    public static int pidfd_open(int pid, int flags) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            int r = pidfd_open.H != null ? (int) pidfd_open.H.invokeExact(c, pid, flags)
                    : (int) (long) syscall4.H.invokeExact(c, Abi.SYS_PIDFD_OPEN, (long) pid, (long) flags, 0L, 0L);
            return Native.check(r, c, "pidfd_open", pid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** pidfd_send_signal(2) with no siginfo. */
    public static void pidfd_send_signal(int pidfd, int sig, int flags) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            int r = pidfd_send_signal.H != null ? (int) pidfd_send_signal.H.invokeExact(c, pidfd, sig, MemorySegment.NULL, flags)
                    : (int) (long) syscall4.H.invokeExact(c, Abi.SYS_PIDFD_SEND_SIGNAL, (long) pidfd, (long) sig, 0L,
                            (long) flags);
            if (r == -1) {
                throw Native.error("pidfd_send_signal(" + pidfd + ", " + Signals.name(sig) + ")", Native.errno(c));
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
