package dev.daemonkit.posix;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.daemonkit.internal.libc.Abi;
import dev.daemonkit.internal.libc.CString;
import dev.daemonkit.internal.libc.Forks;
import dev.daemonkit.internal.libc.Ids;
import dev.daemonkit.internal.libc.Native;
import dev.daemonkit.internal.libc.Pidfd;
import dev.daemonkit.internal.libc.Signals;
import dev.daemonkit.internal.libc.SpawnCalls;
import dev.daemonkit.internal.libc.Sys;
import dev.daemonkit.internal.libc.Unistd;
import dev.daemonkit.internal.libc.VforkExit;
import dev.daemonkit.internal.libc.Wait;
import java.time.Duration;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * Typed POSIX calls in the style of Rust's {@code nix}: one small static method per system call,
 * Java types in and out, every failure a {@link PosixException} naming the call and the errno.
 *
 * <pre>{@code
 * int pid = Posix.getpid();
 * Posix.kill(pid, Signal.SIGTERM);
 * WaitStatus st = Posix.waitpid(pid, 0);
 * SignalDisposition was = Posix.sigaction(Signal.SIGHUP, SignalDisposition.IGNORE);
 * }</pre>
 *
 * <p>Process ids are plain {@code int pid}s, as in C. Signals go through {@link Signal}; calls that
 * would install a Java signal handler do not exist (see {@link SignalDisposition}).
 */
public final class Posix {
    private Posix() {
    }

    /** waitpid/waitid: return at once if no child has changed state. */
    public static final int WNOHANG = Abi.WNOHANG;
    /** waitpid: also report stopped children. */
    public static final int WUNTRACED = Abi.WUNTRACED;
    /** waitpid/waitid: also report children resumed by SIGCONT. */
    public static final int WCONTINUED = Abi.WCONTINUED;
    /** waitid: leave the child waitable (peek at its status). */
    public static final int WNOWAIT = Abi.WNOWAIT;
    /** waitid's idtypes: any child, one pid. */
    public static final int P_ALL = Abi.P_ALL;
    public static final int P_PID = Abi.P_PID;
    /** System call numbers of wait4 and waitid on this architecture, as /proc/PID/task/TID/syscall shows them. */
    public static final int SYS_WAIT4 = Abi.SYS_WAIT4;
    public static final int SYS_WAITID = Abi.SYS_WAITID;

    // ------------------------------------------------------------ identity and sessions

    public static int getpid() {
        return Unistd.getpid();
    }

    public static int getppid() {
        return Unistd.getppid();
    }

    /** The session id of a process (0 = the caller). */
    public static int getsid(int pid) throws PosixException {
        return Unistd.getsid(pid);
    }

    /** Starts a new session with the caller as leader; returns the new session id (EPERM if already a group leader). */
    public static int setsid() throws PosixException {
        return Unistd.setsid();
    }

    /** The process group of a process (0 = the caller). */
    public static int getpgid(int pid) throws PosixException {
        return Unistd.getpgid(pid);
    }

    public static void setpgid(int pid, int pgid) throws PosixException {
        Unistd.setpgid(pid, pgid);
    }

    public static int getuid() {
        return Ids.getuid();
    }

    public static int geteuid() {
        return Ids.geteuid();
    }

    public static int getgid() {
        return Ids.getgid();
    }

    public static int getegid() {
        return Ids.getegid();
    }

    // ------------------------------------------------------------ signals

    /** kill(2). Prefer {@link #pidfdSendSignal} where a pid might have been recycled. */
    public static void kill(int pid, Signal signal) throws PosixException {
        Signals.kill(pid, signal.number());
    }

    /** kill(2) with a raw signal number (0 checks for existence and permission). */
    public static void kill(int pid, int signo) throws PosixException {
        Signals.kill(pid, signo);
    }

    /**
     * Whether a process with this pid exists (kill(pid, 0)): ESRCH means no; EPERM means it exists
     * but belongs to someone else. A zombie still exists. The pid may have been recycled.
     */
    public static boolean exists(int pid) throws PosixException {
        try {
            Signals.kill(pid, 0);
            return true;
        } catch (PosixException e) {
            return switch (e.errno()) {
                case ESRCH -> false;
                case EPERM -> true;
                case null, default -> throw e;
            };
        }
    }

    /** Reads a signal's current disposition without changing it. */
    public static SignalDisposition signalDisposition(Signal signal) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment old = a.allocate(Abi.SIGACTION_SIZE, 8);
            Signals.sigaction(signal.number(), MemorySegment.NULL, old);
            return decodeSigaction(old);
        }
    }

    /**
     * Sets a signal's disposition and returns the previous one, so that it can be restored.
     * Installing {@link SignalDisposition.Action#HANDLER} is allowed only with an address read back
     * from an earlier call (restoring the JVM's handler); daemonkit never installs Java code.
     */
    public static SignalDisposition sigaction(Signal signal, SignalDisposition disposition) throws PosixException {
        if (signal == Signal.SIGKILL || signal == Signal.SIGSTOP) {
            throw Native.error("sigaction(" + signal.name() + ")", Errno.EINVAL.number());
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment act = a.allocate(Abi.SIGACTION_SIZE, 8);
            MemorySegment old = a.allocate(Abi.SIGACTION_SIZE, 8);
            long handler = switch (disposition.action()) {
                case DEFAULT -> Abi.SIG_DFL;
                case IGNORE -> Abi.SIG_IGN;
                case HANDLER -> disposition.handlerAddress();
            };
            act.set(JAVA_LONG, Abi.SIGACTION_HANDLER_OFFSET, handler);
            act.set(JAVA_LONG, Abi.SIGACTION_MASK_OFFSET, disposition.mask());
            act.set(JAVA_INT, Abi.SIGACTION_FLAGS_OFFSET, disposition.flags());
            Signals.sigaction(signal.number(), act, old);
            return decodeSigaction(old);
        }
    }

    private static SignalDisposition decodeSigaction(MemorySegment sa) {
        long handler = sa.get(JAVA_LONG, Abi.SIGACTION_HANDLER_OFFSET);
        long mask = sa.get(JAVA_LONG, Abi.SIGACTION_MASK_OFFSET);
        // SA_RESTORER (x86_64) is glibc's business: it sets it on every call, so hide it.
        int flags = sa.get(JAVA_INT, Abi.SIGACTION_FLAGS_OFFSET) & ~Abi.SA_RESTORER;
        SignalDisposition.Action action = handler == Abi.SIG_DFL ? SignalDisposition.Action.DEFAULT
                : handler == Abi.SIG_IGN ? SignalDisposition.Action.IGNORE : SignalDisposition.Action.HANDLER;
        return new SignalDisposition(action, action == SignalDisposition.Action.HANDLER ? handler : 0, flags, mask);
    }

    /** The calling thread's blocked signals (pthread_sigmask read-only). Standard signals only. */
    public static Set<Signal> blockedSignals() throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment old = a.allocate(Abi.SIGSET_SIZE, 8);
            Signals.pthread_sigmask(Abi.SIG_BLOCK, MemorySegment.NULL, old);
            long bits = old.get(JAVA_LONG, 0);
            Set<Signal> set = EnumSet.noneOf(Signal.class);
            for (Signal s : Signal.values()) {
                if ((bits & (1L << (s.number() - 1))) != 0) {
                    set.add(s);
                }
            }
            return set;
        }
    }

    // ------------------------------------------------------------ waiting

    /**
     * waitpid(2) on one child (or -1 for any child; see the reaper's warning about stealing the
     * JDK's children). Returns {@link WaitStatus.StillAlive} when WNOHANG found nothing.
     */
    public static WaitStatus waitpid(int pid, int options) throws PosixException {
        long r = Wait.waitpid(pid, options);
        int got = (int) (r >>> 32);
        if (got == 0) {
            return new WaitStatus.StillAlive(pid);
        }
        return WaitStatus.decode(got, (int) r);
    }

    /** waitid(P_PID, pid, WEXITED | options). */
    public static WaitStatus waitidPid(int pid, int options) throws PosixException {
        return waitid(Abi.P_PID, pid, pid, options);
    }

    /**
     * waitid(P_ALL, 0, WEXITED | options): any child. With WNOWAIT it only looks (the child stays a
     * zombie), which is how a reaper finds out which child ended without stealing anyone's status.
     */
    public static WaitStatus waitidAny(int options) throws PosixException {
        return waitid(Abi.P_ALL, 0, 0, options);
    }

    /** waitid(P_PIDFD, pidfd, WEXITED | options): waits for exactly the process the pidfd refers to. */
    public static WaitStatus waitidPidfd(Fd pidfd, int pid, int options) throws PosixException {
        return waitid(Abi.P_PIDFD, pidfd.number(), pid, options);
    }

    /** waitid's siginfo_t, one per thread: reaping allocates no native memory. */
    private static final ThreadLocal<MemorySegment> SIGINFO =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(Abi.SIGINFO_SIZE, 8));

    private static WaitStatus waitid(int idtype, int id, int pidForMiss, int options) throws PosixException {
        MemorySegment info = SIGINFO.get();
        info.fill((byte) 0); // a WNOHANG miss leaves it untouched: si_pid must read 0
        Wait.waitid(idtype, id, info, Abi.WEXITED | options);
        int pid = info.get(JAVA_INT, Abi.SIGINFO_PID_OFFSET);
        if (pid == 0) {
            return new WaitStatus.StillAlive(pidForMiss);
        }
        int code = info.get(JAVA_INT, Abi.SIGINFO_CODE_OFFSET);
        int status = info.get(JAVA_INT, Abi.SIGINFO_STATUS_OFFSET);
        return switch (code) {
            case Abi.CLD_EXITED -> new WaitStatus.Exited(pid, status);
            case Abi.CLD_KILLED -> new WaitStatus.Signaled(pid, status, false);
            case Abi.CLD_DUMPED -> new WaitStatus.Signaled(pid, status, true);
            case Abi.CLD_STOPPED, Abi.CLD_TRAPPED -> new WaitStatus.Stopped(pid, status);
            case Abi.CLD_CONTINUED -> new WaitStatus.Continued(pid);
            default -> throw new IllegalStateException("waitid: unknown si_code " + code + " for pid " + pid);
        };
    }

    // ------------------------------------------------------------ pidfd

    /**
     * pidfd_open(2): a descriptor that refers to exactly this process, even after its pid is
     * recycled. Close-on-exec.
     */
    public static Fd openPidfd(int pid) throws PosixException {
        return Fd.adopt(Pidfd.pidfd_open(pid, 0));
    }

    /** pidfd_send_signal(2): ESRCH once the process has died, never someone else. */
    public static void pidfdSendSignal(Fd pidfd, Signal signal) throws PosixException {
        Pidfd.pidfd_send_signal(pidfd.number(), signal.number(), 0);
    }

    /** pidfd_send_signal(2) with a raw number (0 probes liveness, realtime signals). */
    public static void pidfdSendSignal(Fd pidfd, int signo) throws PosixException {
        Pidfd.pidfd_send_signal(pidfd.number(), signo, 0);
    }

    /**
     * Waits until {@code fd} is readable (data, end of file, or for a pidfd: the process exited).
     *
     * @return true when readable, false when the timeout passed first
     */
    public static boolean pollReadable(Fd fd, Duration timeout) throws PosixException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Arena a = Arena.ofConfined()) {
            PollFds pfd = new PollFds(a, 1);
            pfd.set(0, fd);
            while (true) {
                long left = Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
                if (pfd.poll(1, (int) Math.min(left, Integer.MAX_VALUE)) > 0) {
                    return true;
                }
                if (left == 0) {
                    return false;
                }
            }
        }
    }

    /** The supported architecture this JVM runs on: "x86_64" or "aarch64" (anything else fails first use). */
    public static String architecture() {
        return Abi.ARCH.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The C library's message for an errno value. */
    public static String strerror(int errnoValue) {
        return Native.strerror(errnoValue);
    }

    // ------------------------------------------------------------ spawn

    /** posix_spawn's pid out-parameter, one per thread: a spawn allocates no native memory for it. */
    private static final ThreadLocal<MemorySegment> SPAWNED_PID =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(JAVA_INT));

    /**
     * posix_spawn(3): a child that runs {@code path} with {@code argv} and {@code envp}, set up by
     * the file actions and attributes; the child never returns into the JVM (glibc uses
     * clone(CLONE_VM|CLONE_VFORK) and exec).
     *
     * @param program what to call the program in an error (the name the user gave)
     * @return the child's pid
     * @throws PosixException with the exec's errno (ENOENT, EACCES, ENOEXEC...) or a file action's
     */
    public static int spawn(String program, String path, FileActions fileActions, SpawnAttr attr, CStringArray argv,
            CStringArray envp) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            return SpawnCalls.posix_spawn(program, CString.of(a, path), fileActions.segment(), attr.segment(),
                    argv.segment(), envp.segment(), SPAWNED_PID.get());
        }
    }

    // ------------------------------------------------------------ fork

    /**
     * fork(2), exposed for measurement and for callers who know exactly what they do.
     *
     * <p><b>Hazard.</b> In the child only the calling thread exists: no GC, no JIT, no VM thread,
     * and every lock another JVM thread held at fork time stays locked forever. Any class loading,
     * method-handle linking, allocation slow path or safepoint in the child can hang it. Measured
     * on this project's machines, a child that only calls {@link #exitNow} hangs a few times per
     * thousand forks (see the README). The child must call nothing but {@link #exitNow}. For
     * children that run a program use {@code dev.daemonkit.process.Spawn} (posix_spawn); for a
     * child that only has to exit (zombie experiments, fork-cost measurement) use
     * {@link #forkExit(int)}, which runs no Java code in the child at all.
     *
     * @return the child's pid in the parent, 0 in the child
     */
    public static int fork() throws PosixException {
        return Forks.fork();
    }

    /** _exit(2): ends the process at once, without shutdown hooks. The only safe call in a forked JVM child. */
    public static void exitNow(int status) {
        Forks._exit(status);
    }

    /**
     * Creates a child process that exits at once with {@code status}, without running any Java
     * code, at the speed of C's vfork: glibc's clone(2) with {@code CLONE_VM | CLONE_VFORK | SIGCHLD}
     * (and {@code CLONE_FILES | CLONE_FS}: the fd table and cwd are shared, not copied) and {@code fn = _exit}, on a small stack segment of the calling thread's own, with every
     * signal blocked in the calling thread for the duration (the previous mask is restored
     * afterwards). The child shares the JVM's memory instead of copying its page tables, so the
     * cost does not grow with the heap; it executes only glibc's clone trampoline and
     * {@code _exit}, so it can neither hang on a lock held by another JVM thread nor run a JVM
     * signal handler. The calling thread is suspended until the child has exited (microseconds);
     * other threads run on. The hazards and why each is covered are spelled out in
     * {@code dev.daemonkit.internal.libc.VforkExit}.
     *
     * <p>The child must be reaped like any other (its exit status is {@code status & 0xff}). When
     * this returns, the child has let go of the JVM's memory and is exiting; waitpid collects it.
     *
     * @return the child's pid
     */
    public static int forkExit(int status) throws PosixException {
        return VforkExit.exitChild(status);
    }

    private static final long COPYING_STACK = 64 * 1024;

    /**
     * The same child as {@link #forkExit(int)} made the fork way: clone(2) with {@code fn = _exit}
     * but without {@code CLONE_VM}, so the kernel copies the JVM's page tables for the child.
     * Kept as a measured baseline: it shows what fork() itself costs a JVM, growing with the heap.
     * Prefer {@link #forkExit(int)}.
     *
     * @return the child's pid
     */
    public static int forkExitCopyingPageTables(int status) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment stack = a.allocate(COPYING_STACK, 16);
            // Stacks grow down on both targets: pass the aligned top. The child writes to its own
            // copy of this memory (no CLONE_VM), so freeing it here afterwards is fine.
            MemorySegment top = stack.asSlice(COPYING_STACK - 64, 0);
            return Forks.cloneExit(top, status);
        }
    }
}
