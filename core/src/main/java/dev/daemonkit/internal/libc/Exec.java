package dev.daemonkit.internal.libc;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;

/** {@code <unistd.h>}: execve, which replaces the whole process (every thread) and keeps its pid. */
public final class Exec {
    private Exec() {
    }

    /** {@code int execve(const char *path, char *const argv[], char *const envp[])} */
    private static final class execve {
        static final MemorySegment F = Native.symbol("execve");
    }

    /** execve(2); returns only by throwing. */
    public static void execve(MemorySegment path, MemorySegment argv, MemorySegment envp, String pathText)
            throws PosixException {
        MemorySegment c = Native.capture();
        try {
            int r = (int) Native.call(execve.F, c, Native.address(path), Native.address(argv), Native.address(envp));
            throw Native.error("execve(" + pathText + ")", r == -1 ? Native.errno(c) : 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(path);
            Reference.reachabilityFence(argv);
            Reference.reachabilityFence(envp);
        }
    }
}
