package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

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
 * <p><b>One shape for every function.</b> Each function is called through one downcall handle
 * ({@link #call}), of one descriptor: six machine words in, one machine word out, errno captured — the way Go's
 * {@code syscall.Syscall6} or a kernel system call sees its arguments. The linker spins a stub
 * class and about ten lambda forms for every distinct descriptor it meets (several ms each in a
 * short-lived JVM, and JDK 25's AOT cache keeps none of them); {@code daemonkit start} called
 * functions of 23 shapes and generated 290 classes at run time, now 50. With one shared shape the
 * linker does that once, and each further function costs its symbol lookup. This is ABI-exact on the two
 * architectures daemonkit supports ({@link Abi}: Linux x86-64 and aarch64) for every function
 * bound here, because all their parameters and results are integers or pointers, which both
 * calling conventions pass in the same general-purpose registers:
 * <ul>
 * <li>an {@code int}, {@code unsigned}, {@code short} or pointer parameter is passed as a 64-bit
 *     word holding the value (sign-extended, as C callers extend it); the callee reads only the
 *     low bits it declared;</li>
 * <li>words beyond the function's own parameters land in registers it never reads (no function
 *     here takes more than six, the number both ABIs pass in registers);</li>
 * <li>a result narrower than 64 bits is cast back ({@code (int)}): the upper half of the
 *     register is undefined for such results;</li>
 * <li>variadic functions ({@code open}, {@code fcntl}, {@code prctl}, {@code syscall}) need no
 *     shape of their own: see {@link Words}.</li>
 * </ul>
 * A pointer becomes a word through {@link #address}, which refuses heap and closed segments as
 * the linker would; a binding keeps a caller's segment reachable until the call has returned
 * ({@code Reference.reachabilityFence}), since a raw address alone does not. Only the measured
 * fork/clone baselines ({@link Forks}, {@link VforkExit}) are linked with descriptors of their
 * own ({@link #errnoSetting}, {@link #plain}): they must be linked before a fork, and one of them
 * is a critical call.
 *
 * <p>The bindings themselves live in one class per C header ({@link Unistd}, {@link Fcntl},
 * {@link Stat}, {@link Wait}, {@link Signals}, {@link Pidfd}, {@link SpawnCalls}, {@link SocketCalls},
 * {@link Pwd}, {@link Sys}, {@link Forks}), each function in a holder class of its own, as
 * jextract generates them, with the C prototype above each: the JVM looks the function's address
 * up when its holder is first used — lazily, exactly once, without locks of our own (the shared
 * handle is linked the same way, in {@link Words}).
 *
 * <p>Every call site reads:
 * <pre>{@code
 * MemorySegment c = Native.capture();
 * try {
 *     return Native.check((int) Native.call(getsid.F, c, pid), c, "getsid", pid);
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

    /** errno as the last call left it in {@code capture}. */
    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    /** A libc function's (or variable's) address; functions are called through {@link #call}. */
    static MemorySegment symbol(String name) {
        return LOOKUP.find(name).orElseThrow(() -> new UnsupportedOperationException(
                "libc has no symbol " + name + " (daemonkit needs glibc >= 2.29 on Linux)"));
    }

    /**
     * A function linked with its own descriptor (the fork/clone baselines only): errno captured,
     * the handle's first parameter is the capture segment.
     */
    static MethodHandle errnoSetting(String name, FunctionDescriptor fd, Linker.Option... more) {
        Linker.Option[] opts = new Linker.Option[more.length + 1];
        opts[0] = CAPTURE_ERRNO;
        System.arraycopy(more, 0, opts, 1, more.length);
        return LINKER.downcallHandle(symbol(name), fd, opts);
    }

    /** A function linked with its own descriptor that cannot fail or returns its error number. */
    static MethodHandle plain(String name, FunctionDescriptor fd, Linker.Option... opts) {
        return LINKER.downcallHandle(symbol(name), fd, opts);
    }

    // ---------------------------------------------------------------- the shared shape

    /**
     * The one downcall handle: any function of up to six integer or pointer parameters, called
     * through {@link #call} with the function's address ({@link #symbol}), the capture segment
     * and six words. Linked on first use.
     *
     * <p>It is linked as a variadic function with no named word. For integer words both ABIs use
     * the same registers for named and variadic arguments; the one difference, on x86-64, is that
     * the caller also sets {@code %al} to the number of vector registers used (0 here), which a
     * variadic callee ({@code open}, {@code fcntl}, {@code prctl}, {@code syscall}) needs and any
     * other callee ignores. So variadic and ordinary functions share the one handle. It is not
     * bound to a function address either: binding one per function would make the JVM spin a
     * method-handle species class for the bound form (~3 ms each).
     */
    private static final class Words {
        static final MethodHandle H = LINKER.downcallHandle(FunctionDescriptor.of(JAVA_LONG,
                JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                CAPTURE_ERRNO, Linker.Option.firstVariadicArg(0));
    }

    /** {@link #symbol} for a function only newer glibc versions have; empty where it is missing. */
    static Optional<MemorySegment> optionalSymbol(String name) {
        return LOOKUP.find(name);
    }

    /**
     * A pointer as the word passed for it. Refuses what the linker refuses for a pointer
     * parameter: a heap segment, or one whose arena is closed. NULL is 0.
     */
    static long address(MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("a heap segment cannot be passed to native code");
        }
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException("the segment's arena is already closed");
        }
        return segment.address();
    }

    // One invoker per number of words, so that call sites name only the words they pass (unused
    // words are 0). The handle and each function's address are constants (static final), so the
    // JIT inlines the downcall as before.

    static long call(MemorySegment f, MemorySegment c) throws Throwable {
        return (long) Words.H.invokeExact(f, c, 0L, 0L, 0L, 0L, 0L, 0L);
    }

    static long call(MemorySegment f, MemorySegment c, long w1) throws Throwable {
        return (long) Words.H.invokeExact(f, c, w1, 0L, 0L, 0L, 0L, 0L);
    }

    static long call(MemorySegment f, MemorySegment c, long w1, long w2) throws Throwable {
        return (long) Words.H.invokeExact(f, c, w1, w2, 0L, 0L, 0L, 0L);
    }

    static long call(MemorySegment f, MemorySegment c, long w1, long w2, long w3) throws Throwable {
        return (long) Words.H.invokeExact(f, c, w1, w2, w3, 0L, 0L, 0L);
    }

    static long call(MemorySegment f, MemorySegment c, long w1, long w2, long w3, long w4) throws Throwable {
        return (long) Words.H.invokeExact(f, c, w1, w2, w3, w4, 0L, 0L);
    }

    static long call(MemorySegment f, MemorySegment c, long w1, long w2, long w3, long w4, long w5) throws Throwable {
        return (long) Words.H.invokeExact(f, c, w1, w2, w3, w4, w5, 0L);
    }

    static long call(MemorySegment f, MemorySegment c, long w1, long w2, long w3, long w4, long w5, long w6)
            throws Throwable {
        return (long) Words.H.invokeExact(f, c, w1, w2, w3, w4, w5, w6);
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
        static final MemorySegment F = symbol("strerror");
    }

    /** The C library's message for an errno value. */
    public static String strerror(int errnoValue) {
        try {
            long p = call(strerror.F, capture(), errnoValue);
            return p == 0 ? "errno " + errnoValue : MemorySegment.ofAddress(p).reinterpret(4096).getString(0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }
}
