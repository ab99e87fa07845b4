package dev.daemonkit.internal.libc;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;

/** {@code <sys/stat.h>}: statx, fchmod, umask. */
public final class Stat {
    private Stat() {
    }

    /** {@code int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf)} */
    private static final class statx {
        static final MemorySegment F = Native.symbol("statx");
    }

    /** {@code int fchmod(int fd, mode_t mode)} */
    private static final class fchmod {
        static final MemorySegment F = Native.symbol("fchmod");
    }

    /** {@code mode_t umask(mode_t mask)} */
    private static final class umask {
        static final MemorySegment F = Native.symbol("umask");
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
            if ((int) Native.call(statx.F, c, dirfd, Native.address(CString.of(a, path)), flags, mask,
                    Native.address(buf)) == -1) {
                throw Native.error(call, Native.errno(c));
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(buf);
        }
    }

    public static void fchmod(int fd, int mode) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            if ((int) Native.call(fchmod.F, c, fd, mode) == -1) {
                throw Native.error("fchmod(" + fd + ", 0" + Integer.toOctalString(mode) + ")", Native.errno(c));
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** umask(2): cannot fail; returns the previous mask. */
    public static int umask(int mask) {
        try {
            return (int) Native.call(umask.F, Native.capture(), mask);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }
}
