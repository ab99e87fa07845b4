package dev.daemonkit.internal.libc;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** {@code <stdlib.h>}: unsetenv, on the C library's environment (the JDK's System.getenv() is a copy made at start-up). */
public final class Environ {
    private Environ() {
    }

    /** {@code int unsetenv(const char *name)} */
    private static final class unsetenv {
        static final MemorySegment F = Native.symbol("unsetenv");
    }

    /** unsetenv(3): EINVAL for an empty name or one containing '='. */
    public static void unsetenv(String name) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            Native.check((int) Native.call(unsetenv.F, c, Native.address(a.allocateFrom(name))), c, "unsetenv", name);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
