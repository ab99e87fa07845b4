package dev.daemonkit.posix;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.daemonkit.internal.libc.Abi;
import dev.daemonkit.internal.libc.Libc;
import dev.daemonkit.internal.libc.VforkExit;
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
 * int old = Posix.umask(0022);
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

    /** open(2) flags a caller may combine. */
    public static final int O_RDONLY = Abi.O_RDONLY;
    public static final int O_WRONLY = Abi.O_WRONLY;
    public static final int O_RDWR = Abi.O_RDWR;
    public static final int O_CREAT = Abi.O_CREAT;
    public static final int O_EXCL = Abi.O_EXCL;
    public static final int O_TRUNC = Abi.O_TRUNC;
    public static final int O_APPEND = Abi.O_APPEND;
    public static final int O_CLOEXEC = Abi.O_CLOEXEC;
    public static final int O_NOFOLLOW = Abi.O_NOFOLLOW;
    public static final int O_NOCTTY = Abi.O_NOCTTY;
    public static final int O_NONBLOCK = Abi.O_NONBLOCK;

    /** Both ends of a pipe. Close them with {@link Posix#close(int)}. */
    public record Pipe(int readFd, int writeFd) {
    }

    /** The resources of getrlimit/setrlimit that daemons care about. */
    public enum Resource {
        /** Largest core file (RLIMIT_CORE); 0 prevents core dumps. */
        CORE(Abi.RLIMIT_CORE),
        /** Processes (threads) per real user id (RLIMIT_NPROC). */
        NPROC(Abi.RLIMIT_NPROC),
        /** Open file descriptors (RLIMIT_NOFILE). */
        NOFILE(Abi.RLIMIT_NOFILE);

        final int number;

        Resource(int number) {
            this.number = number;
        }
    }

    /** A resource limit; {@link #INFINITY} for none. */
    public record RLimit(long soft, long hard) {
        /** RLIM_INFINITY. */
        public static final long INFINITY = -1L;

        /** The soft limit as text, "unlimited" for RLIM_INFINITY. */
        public String softText() {
            return soft == INFINITY ? "unlimited" : Long.toString(soft);
        }
    }

    // ------------------------------------------------------------ identity and sessions

    public static int getpid() {
        return Libc.getpid();
    }

    public static int getppid() {
        return Libc.getppid();
    }

    /** The session id of a process (0 = the caller). */
    public static int getsid(int pid) throws PosixException {
        return Libc.getsid(pid);
    }

    /** Starts a new session with the caller as leader; returns the new session id (EPERM if already a group leader). */
    public static int setsid() throws PosixException {
        return Libc.setsid();
    }

    /** The process group of a process (0 = the caller). */
    public static int getpgid(int pid) throws PosixException {
        return Libc.getpgid(pid);
    }

    public static void setpgid(int pid, int pgid) throws PosixException {
        Libc.setpgid(pid, pgid);
    }

    public static int getuid() {
        return Libc.getuid();
    }

    public static int geteuid() {
        return Libc.geteuid();
    }

    public static int getgid() {
        return Libc.getgid();
    }

    public static int getegid() {
        return Libc.getegid();
    }

    // ------------------------------------------------------------ files

    /** Sets the file mode creation mask; returns the previous one. Cannot fail. */
    public static int umask(int mask) {
        return Libc.umask(mask);
    }

    /** Reads the umask without changing it (umask twice, as C has no getter). */
    public static int currentUmask() {
        int old = Libc.umask(0022);
        Libc.umask(old);
        return old;
    }

    /** Changes the working directory of the whole process (all threads): see chdir(2). */
    public static void chdir(String path) throws PosixException {
        Libc.chdir(path);
    }

    public static int open(String path, int flags, int mode) throws PosixException {
        return Libc.open(path, flags, mode);
    }

    public static void close(int fd) throws PosixException {
        Libc.close(fd);
    }

    public static int dup2(int oldfd, int newfd) throws PosixException {
        return Libc.dup2(oldfd, newfd);
    }

    /** A pipe whose ends are close-on-exec (pipe2 with O_CLOEXEC), so no child inherits them by accident. */
    public static Pipe pipe() throws PosixException {
        int[] fds = Libc.pipe2(Abi.O_CLOEXEC);
        return new Pipe(fds[0], fds[1]);
    }

    /** Reads up to {@code max} bytes; an empty array means end of file. */
    public static byte[] read(int fd, int max) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(max);
            long n = Libc.read(fd, buf, max);
            return buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        }
    }

    /** Writes all of {@code data}, looping over short writes. */
    public static void write(int fd, byte[] data) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, buf, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, data.length);
            long done = 0;
            while (done < data.length) {
                done += Libc.write(fd, buf.asSlice(done), data.length - done);
            }
        }
    }

    /** Writes a UTF-8 string. */
    public static void write(int fd, String text) throws PosixException {
        write(fd, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Sets or clears FD_CLOEXEC on a descriptor. */
    public static void setCloseOnExec(int fd, boolean on) throws PosixException {
        int flags = Libc.fcntl(fd, Abi.F_GETFD, 0);
        int want = on ? flags | Abi.FD_CLOEXEC : flags & ~Abi.FD_CLOEXEC;
        if (want != flags) {
            Libc.fcntl(fd, Abi.F_SETFD, want);
        }
    }

    /** Whether FD_CLOEXEC is set on a descriptor. */
    public static boolean isCloseOnExec(int fd) throws PosixException {
        return (Libc.fcntl(fd, Abi.F_GETFD, 0) & Abi.FD_CLOEXEC) != 0;
    }

    /**
     * flock(2) with LOCK_EX | LOCK_NB: true when the lock was taken, false when another open file
     * description holds it (EWOULDBLOCK).
     */
    public static boolean tryLockExclusive(int fd) throws PosixException {
        try {
            Libc.flock(fd, Abi.LOCK_EX | Abi.LOCK_NB);
            return true;
        } catch (PosixException e) {
            if (e.errno() == Errno.EAGAIN) {
                return false;
            }
            throw e;
        }
    }

    // ------------------------------------------------------------ signals

    /** kill(2). Prefer {@link #pidfdSendSignal} where a pid might have been recycled. */
    public static void kill(int pid, Signal signal) throws PosixException {
        Libc.kill(pid, signal.number());
    }

    /** kill(2) with a raw signal number (0 checks for existence and permission). */
    public static void kill(int pid, int signo) throws PosixException {
        Libc.kill(pid, signo);
    }

    /**
     * Whether a process with this pid exists (kill(pid, 0)): ESRCH means no; EPERM means it exists
     * but belongs to someone else. A zombie still exists. The pid may have been recycled.
     */
    public static boolean exists(int pid) throws PosixException {
        try {
            Libc.kill(pid, 0);
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
            Libc.sigaction(signal.number(), MemorySegment.NULL, old);
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
            throw Libc.error("sigaction(" + signal.name() + ")", Errno.EINVAL.number());
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
            Libc.sigaction(signal.number(), act, old);
            return decodeSigaction(old);
        }
    }

    private static SignalDisposition decodeSigaction(MemorySegment sa) {
        long handler = sa.get(JAVA_LONG, Abi.SIGACTION_HANDLER_OFFSET);
        long mask = sa.get(JAVA_LONG, Abi.SIGACTION_MASK_OFFSET);
        // SA_RESTORER (x86_64) is glibc's business: it sets it on every call, so hide it.
        int flags = sa.get(JAVA_INT, Abi.SIGACTION_FLAGS_OFFSET) & ~0x04000000;
        SignalDisposition.Action action = handler == Abi.SIG_DFL ? SignalDisposition.Action.DEFAULT
                : handler == Abi.SIG_IGN ? SignalDisposition.Action.IGNORE : SignalDisposition.Action.HANDLER;
        return new SignalDisposition(action, action == SignalDisposition.Action.HANDLER ? handler : 0, flags, mask);
    }

    /** The calling thread's blocked signals (pthread_sigmask read-only). Standard signals only. */
    public static Set<Signal> blockedSignals() throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment old = a.allocate(Abi.SIGSET_SIZE, 8);
            Libc.pthread_sigmask(Abi.SIG_BLOCK, MemorySegment.NULL, old);
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
        long r = Libc.waitpid(pid, options);
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

    /** waitid(P_PIDFD, pidfd, WEXITED | options): waits for exactly the process the pidfd refers to. */
    public static WaitStatus waitidPidfd(int pidfd, int pid, int options) throws PosixException {
        return waitid(Abi.P_PIDFD, pidfd, pid, options);
    }

    /** waitid's siginfo_t, one per thread: reaping allocates no native memory. */
    private static final ThreadLocal<MemorySegment> SIGINFO =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(Abi.SIGINFO_SIZE, 8));

    private static WaitStatus waitid(int idtype, int id, int pidForMiss, int options) throws PosixException {
        MemorySegment info = SIGINFO.get();
        info.fill((byte) 0); // a WNOHANG miss leaves it untouched: si_pid must read 0
        Libc.waitid(idtype, id, info, Abi.WEXITED | options);
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
     * recycled. Close it with {@link #close(int)}. Returned close-on-exec.
     */
    public static int pidfdOpen(int pid) throws PosixException {
        return Libc.pidfd_open(pid, 0);
    }

    /**
     * pidfd_open(2) as an owned {@link Fd}: it refers to exactly this process, even after its pid
     * is recycled. Close-on-exec.
     */
    public static Fd openPidfd(int pid) throws PosixException {
        return Fd.adopt(Libc.pidfd_open(pid, 0));
    }

    /** pidfd_send_signal(2) through an owned pidfd: ESRCH once the process has died, never someone else. */
    public static void pidfdSendSignal(Fd pidfd, Signal signal) throws PosixException {
        Libc.pidfd_send_signal(pidfd.number(), signal.number(), 0);
    }

    /** {@link #pollReadable(int, java.time.Duration)} on an owned descriptor (a pidfd: true once the process exited). */
    public static boolean pollReadable(Fd fd, java.time.Duration timeout) throws PosixException {
        return pollReadable(fd.number(), timeout);
    }

    /** pidfd_send_signal(2): ESRCH once the process has died, never someone else. */
    public static void pidfdSendSignal(int pidfd, Signal signal) throws PosixException {
        Libc.pidfd_send_signal(pidfd, signal.number(), 0);
    }

    /** pidfd_send_signal(2) with a raw number (0 probes liveness). */
    public static void pidfdSendSignal(int pidfd, int signo) throws PosixException {
        Libc.pidfd_send_signal(pidfd, signo, 0);
    }

    /**
     * Waits until {@code fd} is readable (data, end of file, or for a pidfd: the process exited).
     *
     * @return true when readable, false when the timeout passed first
     */
    public static boolean pollReadable(int fd, java.time.Duration timeout) throws PosixException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pfd = a.allocate(8, 4);
            while (true) {
                long left = Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
                pfd.set(JAVA_INT, 0, fd);
                pfd.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 4, (short) 1 /* POLLIN */);
                pfd.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 6, (short) 0);
                int n = Libc.poll(pfd, 1, (int) Math.min(left, Integer.MAX_VALUE));
                if (n > 0) {
                    return true;
                }
                if (left == 0) {
                    return false;
                }
            }
        }
    }

    // ------------------------------------------------------------ prctl

    /** PR_SET_CHILD_SUBREAPER: orphaned descendants are re-parented to this process instead of init. */
    public static void setChildSubreaper(boolean on) throws PosixException {
        Libc.prctl(Abi.PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0);
    }

    /** PR_GET_CHILD_SUBREAPER. */
    public static boolean isChildSubreaper() throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            Libc.prctl(Abi.PR_GET_CHILD_SUBREAPER, out.address(), 0, 0, 0);
            return out.get(JAVA_INT, 0) != 0;
        }
    }

    /**
     * PR_SET_PDEATHSIG for the calling <em>thread's</em> children: note that Linux sends it when the
     * thread that created the child exits, not only when the process does.
     */
    public static void setParentDeathSignal(Signal signal) throws PosixException {
        Libc.prctl(Abi.PR_SET_PDEATHSIG, signal == null ? 0 : signal.number(), 0, 0, 0);
    }

    /** PR_GET_PDEATHSIG; empty when none is set. */
    public static Optional<Signal> parentDeathSignal() throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            Libc.prctl(Abi.PR_GET_PDEATHSIG, out.address(), 0, 0, 0);
            return Signal.of(out.get(JAVA_INT, 0));
        }
    }

    /** PR_SET_NAME: the calling thread's name as ps and /proc/PID/comm show it (15 bytes at most). */
    public static void setThreadName(String name) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            byte[] b = name.getBytes(StandardCharsets.UTF_8);
            MemorySegment s = a.allocate(16);
            MemorySegment.copy(b, 0, s, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, Math.min(15, b.length));
            Libc.prctl(Abi.PR_SET_NAME, s.address(), 0, 0, 0);
        }
    }

    /** PR_GET_NAME. */
    public static String threadName() throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(16);
            Libc.prctl(Abi.PR_GET_NAME, s.address(), 0, 0, 0);
            return s.getString(0);
        }
    }

    // ------------------------------------------------------------ limits

    public static RLimit getrlimit(Resource resource) throws PosixException {
        long[] v = Libc.getrlimit(resource.number);
        return new RLimit(v[0], v[1]);
    }

    public static void setrlimit(Resource resource, RLimit limit) throws PosixException {
        Libc.setrlimit(resource.number, limit.soft(), limit.hard());
    }

    /** The C library's message for an errno value. */
    public static String strerror(int errnoValue) {
        return Libc.strerror(errnoValue);
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
        return Libc.fork();
    }

    /** _exit(2): ends the process at once, without shutdown hooks. The only safe call in a forked JVM child. */
    public static void exitNow(int status) {
        Libc._exit(status);
    }

    /**
     * Creates a child process that exits at once with {@code status}, without running any Java
     * code, at the speed of C's vfork: glibc's clone(2) with {@code CLONE_VM | CLONE_VFORK | SIGCHLD}
     * and {@code fn = _exit}, on a small stack segment of the calling thread's own, with every
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
            return Libc.cloneExit(top, status);
        }
    }
}
