package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** {@code <fcntl.h>} and {@code <sys/file.h>}: opening files, descriptor flags, flock. */
public final class Fcntl {
    private Fcntl() {
    }

    private static final class open {
        static final MethodHandle H = Native.errnoSetting("open",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    }

    private static final class fcntl {
        static final MethodHandle H = Native.errnoSetting("fcntl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    }

    private static final class flock {
        static final MethodHandle H = Native.errnoSetting("flock", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    public static int open(String path, int flags, int mode) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            return Native.check((int) open.H.invokeExact(c, CString.of(a, path), flags, mode), c, "open", path);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** fcntl(2) with an int argument (F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC). */
    public static int fcntl(int fd, int cmd, int arg) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((int) fcntl.H.invokeExact(c, fd, cmd, arg), c, "fcntl", fd, cmd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** flock(2). */
    public static void flock(int fd, int operation) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            Native.check((int) flock.H.invokeExact(c, fd, operation), c, "flock", fd, operation);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
