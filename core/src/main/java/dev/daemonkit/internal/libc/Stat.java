package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** {@code <sys/stat.h>}: statx, fchmod, umask. */
public final class Stat {
    private Stat() {
    }

    private static final class statx {
        static final MethodHandle H = Native.errnoSetting("statx",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    }

    private static final class fchmod {
        static final MethodHandle H = Native.errnoSetting("fchmod", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class umask {
        static final MethodHandle H = Native.plain("umask", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    /**
     * statx(2) into {@code buf} ({@link Abi#STATX_SIZE} bytes): with {@code AT_EMPTY_PATH} and an
     * empty path it describes {@code dirfd} itself (fstat), with {@code AT_FDCWD} and
     * {@code AT_SYMLINK_NOFOLLOW} a path without following a final symlink (lstat).
     *
     * @param call how to name the call in an error ("lstat(/run/x.pid)")
     */
    public static void statx(int dirfd, String path, int flags, int mask, MemorySegment buf, String call)
            throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            if ((int) statx.H.invokeExact(c, dirfd, CString.of(a, path), flags, mask, buf) == -1) {
                throw Native.error(call, Native.errno(c));
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void fchmod(int fd, int mode) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            if ((int) fchmod.H.invokeExact(c, fd, mode) == -1) {
                throw Native.error("fchmod(" + fd + ", 0" + Integer.toOctalString(mode) + ")", Native.errno(c));
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** umask(2): cannot fail; returns the previous mask. */
    public static int umask(int mask) {
        try {
            return (int) umask.H.invokeExact(mask);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }
}
