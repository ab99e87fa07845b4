package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * A child that exits at once, created the vfork way: glibc's {@code clone(_exit, stack,
 * CLONE_VM | CLONE_VFORK | CLONE_FILES | CLONE_FS | SIGCHLD, status)} with every signal blocked
 * in the calling thread around the call. This is how a JVM creates a process as fast as C's vfork: no page table is copied (the
 * child shares the parent's memory), so the cost does not grow with the heap.
 *
 * <p><b>Why it is safe in a JVM</b>, hazard by hazard:
 * <ul>
 * <li><em>No Java code in the child.</em> The child's function is the address of libc's
 *     {@code _exit} itself, not an upcall: the child starts in glibc's clone trampoline, calls
 *     {@code _exit(status)}, which is the exit_group system call, and is gone. It never returns
 *     into the JVM, takes no lock, allocates nothing, so none of the fork-in-a-JVM hangs (locks
 *     held by threads that do not exist in the child) can happen.</li>
 * <li><em>Shared memory ({@code CLONE_VM}).</em> The child writes only to its own stack: a
 *     segment of its own per calling thread (never the Java thread's stack, which the suspended
 *     parent still owns), used by glibc's trampoline to hold fn/arg and by the call into
 *     {@code _exit}. Nothing else in the parent's memory is touched.</li>
 * <li><em>{@code CLONE_VFORK}.</em> The calling thread sleeps in the kernel until the child has
 *     exited, so the stack segment cannot be reused by the next call while the child still runs on
 *     it. Only this thread waits: the rest of the JVM (GC, JIT, other threads) keeps running, and
 *     the thread is "in native" for the JVM, so a safepoint does not wait for it.</li>
 * <li><em>Signals.</em> Without {@code CLONE_SIGHAND} the child gets a copy of the JVM's signal
 *     handlers. A handler running in the child would execute JVM code on the child's tiny stack
 *     against memory the parent is using. So every signal is blocked in the calling thread
 *     (pthread_sigmask with a full set) before clone — the child inherits that mask, so nothing can
 *     be delivered to it — and the previous mask is restored right after, also when clone fails.
 *     glibc silently keeps its two internal signals (SIGCANCEL, SIGSETXID) unblockable; it only
 *     sends them to threads of its own process, which the child is not. SIGKILL and SIGSTOP cannot
 *     be blocked: SIGKILL just ends the child; a SIGSTOPped child would keep the calling thread
 *     waiting until it is continued or killed (the wait is killable, like vfork's).</li>
 * <li><em>The exit status</em> travels as clone's {@code arg}, which glibc passes to {@code fn}
 *     as its first argument: {@code _exit(status)}. The child is a normal child of the process
 *     ({@code SIGCHLD} as its exit signal), reaped with waitpid/waitid like any other.</li>
 * </ul>
 *
 * <p>A virtual thread calling this pins its carrier for the microseconds the child lives.
 */
public final class VforkExit {
    private VforkExit() {
    }

    /**
     * Besides the memory, the child shares what it would otherwise copy only to drop again at
     * exit: the fd table (copying it takes a reference on every open file, and exit puts each
     * back) and the cwd/root/umask. It never uses either. Measured in C on this machine: 10-20%
     * more create+reap per second than vfork's flags. The signal-handler table is still copied:
     * a zombie keeps its own until it is reaped, as one made by fork does, so the zombie
     * experiment's kernel memory per zombie stays that of an ordinary zombie.
     */
    private static final int FLAGS = Abi.CLONE_VM | Abi.CLONE_VFORK | Abi.CLONE_FILES | Abi.CLONE_FS | Abi.SIGCHLD;
    /** How errors name the call. */
    static final String CALL = "clone(_exit, CLONE_VM|CLONE_VFORK|CLONE_FILES|CLONE_FS|SIGCHLD)";

    /** Room for glibc's trampoline and _exit's frame, with a wide margin; one per calling thread. */
    static final long STACK_SIZE = 16 * 1024;

    private static final MethodHandle CLONE = Native.errnoSetting("clone",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS), Linker.Option.firstVariadicArg(4));
    /** Short, never blocks, returns the error number: no thread-state transition needed. */
    private static final MethodHandle PTHREAD_SIGMASK = Native.plain("pthread_sigmask",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), Linker.Option.critical(false));
    private static final MemorySegment EXIT_FN = Native.symbol("_exit");

    /** Everything one call needs, allocated once per thread: the fast path allocates nothing. */
    private static final class PerThread {
        final MemorySegment stackTop;
        final MemorySegment fullSet;
        final MemorySegment savedSet;
        final MemorySegment capture;

        PerThread() {
            Arena arena = Arena.ofAuto();
            MemorySegment stack = arena.allocate(STACK_SIZE, 16);
            // Stacks grow down on x86_64 and aarch64: pass the top, 16-byte aligned.
            stackTop = stack.asSlice(STACK_SIZE - 64, 0);
            fullSet = arena.allocate(Abi.SIGSET_SIZE, 8);
            fullSet.fill((byte) 0xff);
            savedSet = arena.allocate(Abi.SIGSET_SIZE, 8);
            capture = arena.allocate(Linker.Option.captureStateLayout());
        }
    }

    private static final ThreadLocal<PerThread> PER_THREAD = ThreadLocal.withInitial(PerThread::new);

    /**
     * Creates a child that exits with {@code status & 0xff} at once; returns once the child has
     * let go of the shared memory (it is exiting, and a zombie until reaped).
     *
     * @return the child's pid
     */
    public static int exitChild(int status) throws PosixException {
        PerThread t = PER_THREAD.get();
        int pid;
        try {
            int r = (int) PTHREAD_SIGMASK.invokeExact(Abi.SIG_SETMASK, t.fullSet, t.savedSet);
            if (r != 0) {
                throw Native.error("pthread_sigmask(SIG_SETMASK, all)", r);
            }
            try {
                pid = (int) CLONE.invokeExact(t.capture, EXIT_FN, t.stackTop, FLAGS, MemorySegment.ofAddress(status & 0xff));
            } finally {
                r = (int) PTHREAD_SIGMASK.invokeExact(Abi.SIG_SETMASK, t.savedSet, MemorySegment.NULL);
            }
            if (r != 0) {
                // Cannot happen (only EINVAL for a bad 'how'); say which child exists regardless.
                throw new IllegalStateException("pthread_sigmask could not restore the signal mask (error " + r
                        + ") after clone returned " + pid);
            }
        } catch (Throwable e) {
            throw Native.rethrow(e);
        }
        if (pid == -1) {
            throw Native.error(CALL, Native.errno(t.capture));
        }
        return pid;
    }
}
