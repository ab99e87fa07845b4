package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** {@code <stdlib.h>}: unsetenv, on the C library's environment (the JDK's System.getenv() is a copy made at start-up). */
public final class Environ {
    private Environ() {
    }

    private static final class unsetenv {
        static final MethodHandle H = Native.errnoSetting("unsetenv", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    /** unsetenv(3): EINVAL for an empty name or one containing '='. */
    public static void unsetenv(String name) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            Native.check((int) unsetenv.H.invokeExact(c, a.allocateFrom(name)), c, "unsetenv", name);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
