package dev.daemonkit.internal.libc;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** {@code <fcntl.h>} and {@code <sys/file.h>}: opening files, descriptor flags, flock. */
public final class Fcntl {
    private Fcntl() {
    }

    /** {@code int open(const char *path, int flags, ...)}: the mode is the variadic word. */
    private static final class open {
        static final MemorySegment F = Native.symbol("open");
    }

    /** {@code int fcntl(int fd, int cmd, ...)}: an int argument is the variadic word. */
    private static final class fcntl {
        static final MemorySegment F = Native.symbol("fcntl");
    }

    /** {@code int flock(int fd, int operation)} */
    private static final class flock {
        static final MemorySegment F = Native.symbol("flock");
    }

    public static int open(String path, int flags, int mode) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            return Native.check((int) Native.call(open.F, c, Native.address(CString.of(a, path)), flags, mode), c,
                    "open", path);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** fcntl(2) with an int argument (F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC). */
    public static int fcntl(int fd, int cmd, int arg) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((int) Native.call(fcntl.F, c, fd, cmd, arg), c, "fcntl", fd, cmd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** flock(2). */
    public static void flock(int fd, int operation) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            Native.check((int) Native.call(flock.F, c, fd, operation), c, "flock", fd, operation);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
