package dev.daemonkit.internal.libc;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Optional;

/**
 * What every binding shares: finding a libc symbol, linking a downcall (with errno captured
 * through {@code Linker.Option.captureCallState("errno")}, read right after the call before any
 * other code on the thread can overwrite it), and turning a failure into a {@link PosixException}
 * that names the call, its arguments and errno's symbolic name.
 *
 * <p>The bindings themselves live in one class per C header ({@link Unistd}, {@link Fcntl},
 * {@link Stat}, {@link Wait}, {@link Signals}, {@link Pidfd}, {@link SpawnCalls}, {@link SocketCalls},
 * {@link Pwd}, {@link Sys}, {@link Forks}), each function in a holder class of its own, as
 * jextract generates them: the JVM links a handle when its holder is first used — lazily,
 * exactly once, without locks of our own — so a command pays only for the handful of functions
 * it calls (linking a new function shape costs milliseconds).
 *
 * <p>Every call site reads:
 * <pre>{@code
 * MemorySegment c = Native.capture();
 * try {
 *     return Native.check((int) getsid.H.invokeExact(c, pid), c, "getsid", pid);
 * } catch (Throwable t) {
 *     throw Native.rethrow(t);
 * }
 * }</pre>
 * The message of a failure is built only when the call failed: success allocates nothing.
 */
public final class Native {
    private Native() {
    }

    static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    static {
        // Fails with a clear UnsupportedOperationException off Linux x86_64/aarch64.
        Abi.Arch arch = Abi.ARCH;
        assert arch != null;
    }

    /** One capture segment per thread: calls on hot paths (spawn, waitid) allocate nothing. */
    private static final ThreadLocal<MemorySegment> CAPTURE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    /** The calling thread's errno capture segment, passed as a downcall's first argument. */
    static MemorySegment capture() {
        return CAPTURE.get();
    }

    /** A capture segment of its own, for code that must not share the thread's one. */
    static MemorySegment newCapture(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    /** errno as the last call left it in {@code capture}. */
    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    static MemorySegment symbol(String name) {
        return LOOKUP.find(name).orElseThrow(() -> new UnsupportedOperationException(
                "libc has no symbol " + name + " (daemonkit needs glibc >= 2.29 on Linux)"));
    }

    /** A function that sets errno: the handle's first parameter is the capture segment. */
    static MethodHandle errnoSetting(String name, FunctionDescriptor fd, Linker.Option... more) {
        Linker.Option[] opts = new Linker.Option[more.length + 1];
        opts[0] = CAPTURE_ERRNO;
        System.arraycopy(more, 0, opts, 1, more.length);
        return LINKER.downcallHandle(symbol(name), fd, opts);
    }

    /** A function that cannot fail or returns its error number. */
    static MethodHandle plain(String name, FunctionDescriptor fd, Linker.Option... opts) {
        return LINKER.downcallHandle(symbol(name), fd, opts);
    }

    /** An errno-setting function that only newer glibc versions have; empty where it is missing. */
    static Optional<MethodHandle> optionalErrnoSetting(String name, FunctionDescriptor fd) {
        return LOOKUP.find(name).map(s -> LINKER.downcallHandle(s, fd, CAPTURE_ERRNO));
    }

    /** A plain function that only newer glibc versions have; empty where it is missing. */
    static Optional<MethodHandle> optionalPlain(String name, FunctionDescriptor fd) {
        return LOOKUP.find(name).map(s -> LINKER.downcallHandle(s, fd));
    }

    // ---------------------------------------------------------------- checking results

    /** {@code r}, or the exception for {@code fn()} when it is -1. */
    static int check(int r, MemorySegment c, String fn) throws PosixException {
        if (r == -1) {
            throw error(fn + "()", errno(c));
        }
        return r;
    }

    /** {@code r}, or the exception for {@code fn(a)} when it is -1. */
    static int check(int r, MemorySegment c, String fn, long a) throws PosixException {
        if (r == -1) {
            throw error(fn + "(" + a + ")", errno(c));
        }
        return r;
    }

    /** {@code r}, or the exception for {@code fn(a, b)} when it is -1. */
    static int check(int r, MemorySegment c, String fn, long a, long b) throws PosixException {
        if (r == -1) {
            throw error(fn + "(" + a + ", " + b + ")", errno(c));
        }
        return r;
    }

    /** {@code r}, or the exception for {@code fn(a)} when it is -1. */
    static int check(int r, MemorySegment c, String fn, String a) throws PosixException {
        if (r == -1) {
            throw error(fn + "(" + a + ")", errno(c));
        }
        return r;
    }

    /** A byte count, or the exception for {@code fn(fd)} when it is -1. */
    static long check(long r, MemorySegment c, String fn, long fd) throws PosixException {
        if (r == -1) {
            throw error(fn + "(" + fd + ")", errno(c));
        }
        return r;
    }

    /** For functions that return the error number itself (posix_spawn*, pthread_*, getpwnam_r). */
    static void checkCode(int r, String call) throws PosixException {
        if (r != 0) {
            throw error(call, r);
        }
    }

    /** Whether a failed call was interrupted (EINTR), to be retried. */
    static boolean interrupted(MemorySegment c) {
        return errno(c) == 4; // EINTR
    }

    /** Builds the exception for a call that failed with the given errno value. */
    public static PosixException error(String call, int errnoValue) {
        return new PosixException(call, errnoValue, strerror(errnoValue));
    }

    /**
     * The one catch clause of every binding: a PosixException from the check goes back to the
     * caller; anything else a downcall can throw is a bug, rethrown unchecked.
     */
    static PosixException rethrow(Throwable t) {
        if (t instanceof PosixException p) {
            return p;
        }
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("downcall failed unexpectedly", t);
    }

    /** The catch clause of a binding that cannot fail: anything thrown is a bug, rethrown unchecked. */
    static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("downcall failed unexpectedly", t);
    }

    private static final class strerror {
        static final MethodHandle H = plain("strerror",
                FunctionDescriptor.of(java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.JAVA_INT));
    }

    /** The C library's message for an errno value. */
    public static String strerror(int errnoValue) {
        try {
            MemorySegment p = (MemorySegment) strerror.H.invokeExact(errnoValue);
            return p.equals(MemorySegment.NULL) ? "errno " + errnoValue : p.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }
}
