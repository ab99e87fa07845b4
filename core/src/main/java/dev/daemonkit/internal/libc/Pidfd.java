package dev.daemonkit.internal.libc;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.MemorySegment;

/**
 * {@code <sys/pidfd.h>}: pidfd_open and pidfd_send_signal — glibc's wrappers where it has them
 * (2.36+), else the raw system calls (same numbers on every architecture).
 */
public final class Pidfd {
    private Pidfd() {
    }

    /** {@code int pidfd_open(pid_t pid, unsigned int flags)} */
    private static final class pidfd_open {
        static final MemorySegment F = Native.optionalSymbol("pidfd_open").orElse(null);
    }

    /** {@code int pidfd_send_signal(int pidfd, int sig, siginfo_t *info, unsigned int flags)} */
    private static final class pidfd_send_signal {
        static final MemorySegment F = Native.optionalSymbol("pidfd_send_signal").orElse(null);
    }

    /** {@code long syscall(long number, ...)} */
    private static final class syscall {
        static final MemorySegment F = Native.symbol("syscall");
    }

    /** pidfd_open(2); close-on-exec. */
    public static int pidfd_open(int pid, int flags) throws PosixException {
        return pidfd_open(pid, flags, pidfd_open.F == null);
    }

    /** With {@code bySyscall}, through syscall(2) even where glibc has the wrapper (tested so). */
    static int pidfd_open(int pid, int flags, boolean bySyscall) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            int r = bySyscall ? (int) Native.call(syscall.F, c, Abi.SYS_PIDFD_OPEN, pid, flags)
                    : (int) Native.call(pidfd_open.F, c, pid, flags);
            return Native.check(r, c, "pidfd_open", pid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** pidfd_send_signal(2) with no siginfo. */
    public static void pidfd_send_signal(int pidfd, int sig, int flags) throws PosixException {
        pidfd_send_signal(pidfd, sig, flags, pidfd_send_signal.F == null);
    }

    /** With {@code bySyscall}, through syscall(2) even where glibc has the wrapper (tested so). */
    static void pidfd_send_signal(int pidfd, int sig, int flags, boolean bySyscall) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            int r = bySyscall ? (int) Native.call(syscall.F, c, Abi.SYS_PIDFD_SEND_SIGNAL, pidfd, sig, 0L, flags)
                    : (int) Native.call(pidfd_send_signal.F, c, pidfd, sig, 0L, flags);
            if (r == -1) {
                throw Native.error("pidfd_send_signal(" + pidfd + ", " + Signals.name(sig) + ")", Native.errno(c));
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
