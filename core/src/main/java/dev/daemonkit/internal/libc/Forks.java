package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * fork, _exit and the page-table-copying clone: kept as measured baselines (they show why a JVM
 * must not fork); daemonkit's own fork path is {@link VforkExit}. All three are linked together
 * on the first use of any: a forked child may only run downcalls that were linked before the
 * fork, and _exit is the one it needs.
 */
public final class Forks {
    private Forks() {
    }

    private static final class handles {
        static final MethodHandle FORK = Native.errnoSetting("fork", FunctionDescriptor.of(JAVA_INT));
        static final MethodHandle EXIT = Native.plain("_exit", FunctionDescriptor.ofVoid(JAVA_INT));
        static final MethodHandle CLONE = Native.errnoSetting("clone",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS), Linker.Option.firstVariadicArg(4));
        static final MemorySegment EXIT_FN = Native.symbol("_exit");
    }

    /**
     * fork(2), unguarded. In a JVM the child may run only downcalls that are already linked and
     * must call {@link #_exit} or exec; see {@code Posix.fork()} for the hazard.
     */
    public static int fork() throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((int) handles.FORK.invokeExact(c), c, "fork");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** _exit(2): ends the calling process at once, no atexit handlers, no JVM shutdown. */
    public static void _exit(int status) {
        try {
            handles.EXIT.invokeExact(status);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    /**
     * clone(2) through glibc's wrapper with {@code fn = _exit}, {@code arg = status} and no
     * CLONE_VM: a child that copies the parent's page tables, then exits without running Java code.
     *
     * @param stackTop the highest address of a writable, 16-byte aligned region for the child's stack
     */
    public static int cloneExit(MemorySegment stackTop, int status) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            int r = (int) handles.CLONE.invokeExact(c, handles.EXIT_FN, stackTop, Abi.SIGCHLD,
                    MemorySegment.ofAddress(status & 0xff));
            if (r == -1) {
                throw Native.error("clone(_exit, SIGCHLD)", Native.errno(c));
            }
            return r;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
