package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** {@code <unistd.h>}: execve, which replaces the whole process (every thread) and keeps its pid. */
public final class Exec {
    private Exec() {
    }

    private static final class execve {
        static final MethodHandle H = Native.errnoSetting("execve", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    }

    /** execve(2); returns only by throwing. */
    public static void execve(MemorySegment path, MemorySegment argv, MemorySegment envp, String pathText)
            throws PosixException {
        MemorySegment c = Native.capture();
        try {
            int r = (int) execve.H.invokeExact(c, path, argv, envp);
            throw Native.error("execve(" + pathText + ")", r == -1 ? Native.errno(c) : 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
