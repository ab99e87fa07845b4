package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
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
 * Every libc downcall daemonkit makes, and nothing else: one static method per C function, with the
 * C name and the C argument order. Each checks its result and turns a failure into a
 * {@link PosixException} carrying errno's symbolic name and the call with its arguments.
 *
 * <p>errno is read through {@code Linker.Option.captureCallState("errno")} right after the call,
 * before any other code on the thread can overwrite it. Functions that return the error number
 * instead of setting errno (posix_spawn*, pthread_sigmask) are checked on their return value.
 *
 * <p>This class is not exported from the module; {@code dev.daemonkit.posix.Posix} is the typed
 * layer on top of it.
 */
public final class Libc {
    private Libc() {
    }

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    static {
        // Fails with a clear UnsupportedOperationException off Linux x86_64/aarch64.
        Abi.Arch arch = Abi.ARCH;
        assert arch != null;
    }

    /** One capture segment per thread: allocation-free calls on hot paths (spawn, waitpid). */
    private static final ThreadLocal<MemorySegment> CAPTURE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    static MemorySegment symbol(String name) {
        return LOOKUP.find(name).orElseThrow(() -> new UnsupportedOperationException(
                "libc has no symbol " + name + " (daemonkit needs glibc >= 2.29 on Linux)"));
    }

    private static Optional<MemorySegment> optionalSymbol(String name) {
        return LOOKUP.find(name);
    }

    /**
     * A downcall handle linked on first use. Linking costs several milliseconds per function
     * shape, and a CLI command uses a handful of the ~70 bindings: linking all of them eagerly
     * made every daemonkit command start ~0.4 s slower. (A benign race may link one twice.)
     */
    private static final class Downcall {
        private final String name;
        private final FunctionDescriptor descriptor;
        private final Linker.Option[] options;
        private MethodHandle handle;

        Downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
            this.name = name;
            this.descriptor = descriptor;
            this.options = options;
        }

        MethodHandle get() {
            MethodHandle h = handle;
            if (h == null) {
                h = LINKER.downcallHandle(symbol(name), descriptor, options);
                handle = h;
            }
            return h;
        }
    }

    private static Downcall lazyErrno(String name, FunctionDescriptor fd, Linker.Option... more) {
        Linker.Option[] opts = new Linker.Option[more.length + 1];
        opts[0] = CAPTURE_ERRNO;
        System.arraycopy(more, 0, opts, 1, more.length);
        return new Downcall(name, fd, opts);
    }

    private static Downcall lazyPlain(String name, FunctionDescriptor fd, Linker.Option... opts) {
        return new Downcall(name, fd, opts);
    }

    static MethodHandle withErrno(String name, FunctionDescriptor fd, Linker.Option... more) {
        Linker.Option[] opts = new Linker.Option[more.length + 1];
        opts[0] = CAPTURE_ERRNO;
        System.arraycopy(more, 0, opts, 1, more.length);
        return LINKER.downcallHandle(symbol(name), fd, opts);
    }

    static MethodHandle plain(String name, FunctionDescriptor fd, Linker.Option... opts) {
        return LINKER.downcallHandle(symbol(name), fd, opts);
    }

    /** waitpid's status word, one per thread: reaping thousands of children a second allocates nothing. */
    private static final ThreadLocal<MemorySegment> WAIT_STATUS =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(JAVA_INT));

    private static MemorySegment capture() {
        return CAPTURE.get();
    }

    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    private static PosixException fail(String call, MemorySegment capture) {
        return error(call, errno(capture));
    }

    /** Builds the exception for a call that failed with the given errno value. */
    public static PosixException error(String call, int errnoValue) {
        return new PosixException(call, errnoValue, strerror(errnoValue));
    }

    static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("downcall failed unexpectedly", t);
    }

    private static int checked(int r, String call, MemorySegment capture) throws PosixException {
        if (r == -1) {
            throw fail(call, capture);
        }
        return r;
    }

    private static void checkedReturnCode(int r, String call) throws PosixException {
        if (r != 0) {
            throw error(call, r);
        }
    }

    // ---------------------------------------------------------------- handles

    /**
     * fork, _exit and clone, linked together on the first of them: a forked child may only run
     * downcalls that were linked before the fork, and _exit is the one it needs.
     */
    private static final class ForkHandles {
        static final MethodHandle FORK = withErrno("fork", FunctionDescriptor.of(JAVA_INT));
        static final MethodHandle EXIT = plain("_exit", FunctionDescriptor.ofVoid(JAVA_INT));
        static final MethodHandle CLONE = withErrno("clone",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS), Linker.Option.firstVariadicArg(4));
    }


    private static final Downcall STRERROR = lazyPlain("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    private static final Downcall GETPID = lazyPlain("getpid", FunctionDescriptor.of(JAVA_INT));
    private static final Downcall GETPPID = lazyPlain("getppid", FunctionDescriptor.of(JAVA_INT));
    private static final Downcall GETSID = lazyErrno("getsid", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final Downcall SETSID = lazyErrno("setsid", FunctionDescriptor.of(JAVA_INT));
    private static final Downcall GETPGID = lazyErrno("getpgid", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final Downcall SETPGID = lazyErrno("setpgid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final Downcall UMASK = lazyPlain("umask", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final Downcall CHDIR = lazyErrno("chdir", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final Downcall DUP2 = lazyErrno("dup2", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final Downcall OPEN = lazyErrno("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final Downcall CLOSE = lazyErrno("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final Downcall PIPE2 = lazyErrno("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final Downcall READ = lazyErrno("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final Downcall WRITE = lazyErrno("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final Downcall FCNTL = lazyErrno("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final Downcall FLOCK = lazyErrno("flock", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final Downcall KILL = lazyErrno("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final Downcall WAITPID = lazyErrno("waitpid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final Downcall WAITID = lazyErrno("waitid",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final Downcall SIGACTION = lazyErrno("sigaction", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final Downcall PTHREAD_SIGMASK = lazyPlain("pthread_sigmask", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final Downcall PRCTL = lazyErrno("prctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1));
    private static final Downcall SYSCALL4 = lazyErrno("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle PIDFD_OPEN = optionalSymbol("pidfd_open")
            .map(s -> LINKER.downcallHandle(s, FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE_ERRNO)).orElse(null);
    private static final MethodHandle PIDFD_SEND_SIGNAL = optionalSymbol("pidfd_send_signal")
            .map(s -> LINKER.downcallHandle(s, FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), CAPTURE_ERRNO))
            .orElse(null);
    private static final Downcall GETRLIMIT = lazyErrno("getrlimit", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final Downcall SETRLIMIT = lazyErrno("setrlimit", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final Downcall GETUID = lazyPlain("getuid", FunctionDescriptor.of(JAVA_INT));
    private static final Downcall GETEUID = lazyPlain("geteuid", FunctionDescriptor.of(JAVA_INT));
    private static final Downcall GETGID = lazyPlain("getgid", FunctionDescriptor.of(JAVA_INT));
    private static final Downcall GETEGID = lazyPlain("getegid", FunctionDescriptor.of(JAVA_INT));
    private static final Downcall SETUID = lazyErrno("setuid", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final Downcall SETGID = lazyErrno("setgid", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final Downcall SETGROUPS = lazyErrno("setgroups", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final Downcall INITGROUPS = lazyErrno("initgroups", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final Downcall GETPWNAM_R = lazyPlain("getpwnam_r",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    private static final Downcall GETGRNAM_R = lazyPlain("getgrnam_r",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));

    private static final Downcall POLL = lazyErrno("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle FA_ADDCLOSEFROM_NP = optionalSymbol("posix_spawn_file_actions_addclosefrom_np")
            .map(s -> LINKER.downcallHandle(s, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT))).orElse(null);
    private static final Downcall FTRUNCATE = lazyErrno("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final Downcall PWRITE = lazyErrno("pwrite", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final Downcall FCHMOD = lazyErrno("fchmod", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final Downcall FCHOWN = lazyErrno("fchown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final Downcall STATX = lazyErrno("statx",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    private static final Downcall GETGROUPLIST = lazyPlain("getgrouplist",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
    private static final Downcall UNLINK = lazyErrno("unlink", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final Downcall SOCKET = lazyErrno("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final Downcall SENDTO = lazyErrno("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final Downcall BIND = lazyErrno("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final Downcall LISTEN = lazyErrno("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final Downcall SETSOCKOPT = lazyErrno("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final Downcall GETSOCKNAME = lazyErrno("getsockname", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final Downcall SETRESUID = lazyErrno("setresuid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final Downcall SETRESGID = lazyErrno("setresgid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final Downcall GETGROUPS = lazyErrno("getgroups", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final Downcall POSIX_SPAWN = lazyPlain("posix_spawn",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final Downcall POSIX_SPAWNP = lazyPlain("posix_spawnp",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final Downcall SPAWNATTR_INIT = lazyPlain("posix_spawnattr_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final Downcall SPAWNATTR_DESTROY = lazyPlain("posix_spawnattr_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final Downcall SPAWNATTR_SETFLAGS = lazyPlain("posix_spawnattr_setflags",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT));
    private static final Downcall SPAWNATTR_SETSIGMASK = lazyPlain("posix_spawnattr_setsigmask",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final Downcall SPAWNATTR_SETSIGDEFAULT = lazyPlain("posix_spawnattr_setsigdefault",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final Downcall SPAWNATTR_SETPGROUP = lazyPlain("posix_spawnattr_setpgroup",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final Downcall FA_INIT = lazyPlain("posix_spawn_file_actions_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final Downcall FA_DESTROY = lazyPlain("posix_spawn_file_actions_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final Downcall FA_ADDDUP2 = lazyPlain("posix_spawn_file_actions_adddup2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final Downcall FA_ADDOPEN = lazyPlain("posix_spawn_file_actions_addopen",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final Downcall FA_ADDCLOSE = lazyPlain("posix_spawn_file_actions_addclose",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final Downcall FA_ADDCHDIR_NP = lazyPlain("posix_spawn_file_actions_addchdir_np",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));

    // ---------------------------------------------------------------- errors

    /** The C library's message for an errno value. */
    public static String strerror(int errnoValue) {
        try {
            MemorySegment p = (MemorySegment) STRERROR.get().invokeExact(errnoValue);
            return p.equals(MemorySegment.NULL) ? "errno " + errnoValue : p.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---------------------------------------------------------------- processes

    /**
     * fork(2), unguarded. In a JVM the child may run only downcalls that are already linked and
     * must call {@link #_exit} or exec; see {@code Posix.fork()} for the hazard.
     */
    public static int fork() throws PosixException {
        MemorySegment c = capture();
        try {
            return checked((int) ForkHandles.FORK.invokeExact(c), "fork()", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** _exit(2): ends the calling process at once, no atexit handlers, no JVM shutdown. */
    public static void _exit(int status) {
        try {
            ForkHandles.EXIT.invokeExact(status);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * clone(2) through glibc's wrapper with {@code fn = _exit} and {@code arg = status}: a child
     * that exits at once without ever executing Java code (see {@code Posix.forkExit}).
     *
     * @param stackTop the highest address of a writable, 16-byte aligned region for the child's stack
     */
    public static int cloneExit(MemorySegment stackTop, int status) throws PosixException {
        MemorySegment c = capture();
        try {
            int r = (int) ForkHandles.CLONE.invokeExact(c, symbol("_exit"), stackTop, Abi.SIGCHLD,
                    MemorySegment.ofAddress(status & 0xff));
            return checked(r, "clone(_exit, SIGCHLD)", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int getpid() {
        try {
            return (int) GETPID.get().invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int getppid() {
        try {
            return (int) GETPPID.get().invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int getsid(int pid) throws PosixException {
        MemorySegment c = capture();
        try {
            return checked((int) GETSID.get().invokeExact(c, pid), "getsid(" + pid + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int setsid() throws PosixException {
        MemorySegment c = capture();
        try {
            return checked((int) SETSID.get().invokeExact(c), "setsid()", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int getpgid(int pid) throws PosixException {
        MemorySegment c = capture();
        try {
            return checked((int) GETPGID.get().invokeExact(c, pid), "getpgid(" + pid + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void setpgid(int pid, int pgid) throws PosixException {
        MemorySegment c = capture();
        try {
            checked((int) SETPGID.get().invokeExact(c, pid, pgid), "setpgid(" + pid + ", " + pgid + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** umask(2): cannot fail; returns the previous mask. */
    public static int umask(int mask) {
        try {
            return (int) UMASK.get().invokeExact(mask);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void chdir(String path) throws PosixException {
        MemorySegment c = capture();
        try (Arena a = Arena.ofConfined()) {
            checked((int) CHDIR.get().invokeExact(c, a.allocateFrom(path)), "chdir(" + path + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int dup2(int oldfd, int newfd) throws PosixException {
        MemorySegment c = capture();
        try {
            return checked((int) DUP2.get().invokeExact(c, oldfd, newfd), "dup2(" + oldfd + ", " + newfd + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int open(String path, int flags, int mode) throws PosixException {
        MemorySegment c = capture();
        try (Arena a = Arena.ofConfined()) {
            return checked((int) OPEN.get().invokeExact(c, a.allocateFrom(path), flags, mode), "open(" + path + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void close(int fd) throws PosixException {
        MemorySegment c = capture();
        try {
            checked((int) CLOSE.get().invokeExact(c, fd), "close(" + fd + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** pipe2(2); returns {read end, write end}. */
    public static int[] pipe2(int flags) throws PosixException {
        MemorySegment c = capture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(JAVA_INT, 2);
            checked((int) PIPE2.get().invokeExact(c, fds, flags), "pipe2()", c);
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** read(2) into native memory; returns the byte count, 0 at end of file. */
    public static long read(int fd, MemorySegment buf, long count) throws PosixException {
        MemorySegment c = capture();
        try {
            long r = (long) READ.get().invokeExact(c, fd, buf, count);
            if (r == -1) {
                throw fail("read(" + fd + ")", c);
            }
            return r;
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** write(2) from native memory; returns the byte count written. */
    public static long write(int fd, MemorySegment buf, long count) throws PosixException {
        MemorySegment c = capture();
        try {
            long r = (long) WRITE.get().invokeExact(c, fd, buf, count);
            if (r == -1) {
                throw fail("write(" + fd + ")", c);
            }
            return r;
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** fcntl(2) with an int argument (F_GETFD, F_SETFD, F_GETFL, F_SETFL). */
    public static int fcntl(int fd, int cmd, int arg) throws PosixException {
        MemorySegment c = capture();
        try {
            return checked((int) FCNTL.get().invokeExact(c, fd, cmd, arg), "fcntl(" + fd + ", " + cmd + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void flock(int fd, int operation) throws PosixException {
        MemorySegment c = capture();
        try {
            checked((int) FLOCK.get().invokeExact(c, fd, operation), "flock(" + fd + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void kill(int pid, int sig) throws PosixException {
        MemorySegment c = capture();
        try {
            checked((int) KILL.get().invokeExact(c, pid, sig), "kill(" + pid + ", " + signalName(sig) + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static String signalName(int sig) {
        return sig == 0 ? "0" : Signal.nameOf(sig);
    }

    /**
     * waitpid(2). Returns {pid, raw status}; pid 0 means WNOHANG found nothing. EINTR is retried
     * here, since the JVM's own signal handlers can interrupt a blocking wait.
     */
    public static long waitpid(int pid, int options) throws PosixException {
        MemorySegment c = capture();
        MemorySegment status = WAIT_STATUS.get();
        try {
            while (true) {
                int r = (int) WAITPID.get().invokeExact(c, pid, status, options);
                if (r == -1) {
                    if (errno(c) == 4 /* EINTR */) {
                        continue;
                    }
                    throw fail("waitpid(" + pid + ")", c);
                }
                return ((long) r << 32) | (status.get(JAVA_INT, 0) & 0xffffffffL);
            }
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * waitid(2) filling {@code siginfo} (at least {@link Abi#SIGINFO_SIZE} bytes, zeroed by the
     * caller so that a WNOHANG miss reads as si_pid 0). EINTR is retried.
     */
    public static void waitid(int idtype, int id, MemorySegment siginfo, int options) throws PosixException {
        MemorySegment c = capture();
        try {
            while (true) {
                int r = (int) WAITID.get().invokeExact(c, idtype, id, siginfo, options);
                if (r == -1) {
                    if (errno(c) == 4 /* EINTR */) {
                        continue;
                    }
                    throw fail("waitid(" + idtype + ", " + id + ")", c);
                }
                return;
            }
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** sigaction(2); {@code act} or {@code oldact} may be NULL. */
    public static void sigaction(int sig, MemorySegment act, MemorySegment oldact) throws PosixException {
        MemorySegment c = capture();
        try {
            checked((int) SIGACTION.get().invokeExact(c, sig, act, oldact), "sigaction(" + signalName(sig) + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** pthread_sigmask(3); returns the error number itself, not errno. */
    public static void pthread_sigmask(int how, MemorySegment set, MemorySegment oldset) throws PosixException {
        try {
            checkedReturnCode((int) PTHREAD_SIGMASK.get().invokeExact(how, set, oldset), "pthread_sigmask()");
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** prctl(2) with up to four numeric arguments. */
    public static int prctl(int option, long a2, long a3, long a4, long a5) throws PosixException {
        MemorySegment c = capture();
        try {
            return checked((int) PRCTL.get().invokeExact(c, option, a2, a3, a4, a5), "prctl(" + option + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** pidfd_open(2): glibc's wrapper when it has one (2.36+), else the raw syscall. */
    public static int pidfd_open(int pid, int flags) throws PosixException {
        MemorySegment c = capture();
        String call = "pidfd_open(" + pid + ")";
        try {
            if (PIDFD_OPEN != null) {
                return checked((int) PIDFD_OPEN.invokeExact(c, pid, flags), call, c);
            }
            return checked((int) (long) SYSCALL4.get().invokeExact(c, Abi.SYS_PIDFD_OPEN, (long) pid, (long) flags, 0L, 0L),
                    call, c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** pidfd_send_signal(2) with no siginfo: glibc's wrapper when present, else the raw syscall. */
    public static void pidfd_send_signal(int pidfd, int sig, int flags) throws PosixException {
        MemorySegment c = capture();
        String call = "pidfd_send_signal(" + pidfd + ", " + signalName(sig) + ")";
        try {
            if (PIDFD_SEND_SIGNAL != null) {
                checked((int) PIDFD_SEND_SIGNAL.invokeExact(c, pidfd, sig, MemorySegment.NULL, flags), call, c);
                return;
            }
            checked((int) (long) SYSCALL4.get().invokeExact(c, Abi.SYS_PIDFD_SEND_SIGNAL, (long) pidfd, (long) sig, 0L,
                    (long) flags), call, c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** getrlimit(2); returns {soft, hard} (RLIM_INFINITY is -1). */
    public static long[] getrlimit(int resource) throws PosixException {
        MemorySegment c = capture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment rl = a.allocate(Abi.RLIMIT_SIZE, 8);
            checked((int) GETRLIMIT.get().invokeExact(c, resource, rl), "getrlimit(" + resource + ")", c);
            return new long[] {rl.get(JAVA_LONG, 0), rl.get(JAVA_LONG, 8)};
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void setrlimit(int resource, long soft, long hard) throws PosixException {
        MemorySegment c = capture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment rl = a.allocate(Abi.RLIMIT_SIZE, 8);
            rl.set(JAVA_LONG, 0, soft);
            rl.set(JAVA_LONG, 8, hard);
            checked((int) SETRLIMIT.get().invokeExact(c, resource, rl), "setrlimit(" + resource + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---------------------------------------------------------------- identities

    public static int getuid() {
        try {
            return (int) GETUID.get().invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int geteuid() {
        try {
            return (int) GETEUID.get().invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int getgid() {
        try {
            return (int) GETGID.get().invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int getegid() {
        try {
            return (int) GETEGID.get().invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void setuid(int uid) throws PosixException {
        MemorySegment c = capture();
        try {
            checked((int) SETUID.get().invokeExact(c, uid), "setuid(" + uid + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void setgid(int gid) throws PosixException {
        MemorySegment c = capture();
        try {
            checked((int) SETGID.get().invokeExact(c, gid), "setgid(" + gid + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** setgroups(2) with the given supplementary group ids (empty clears them). */
    public static void setgroups(int[] gids) throws PosixException {
        MemorySegment c = capture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment list = gids.length == 0 ? MemorySegment.NULL : a.allocateFrom(JAVA_INT, gids);
            checked((int) SETGROUPS.get().invokeExact(c, (long) gids.length, list), "setgroups()", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** initgroups(3): the supplementary groups of {@code user} from the group database, plus {@code gid}. */
    public static void initgroups(String user, int gid) throws PosixException {
        MemorySegment c = capture();
        try (Arena a = Arena.ofConfined()) {
            checked((int) INITGROUPS.get().invokeExact(c, a.allocateFrom(user), gid), "initgroups(" + user + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** A user database entry: the fields daemonkit needs. */
    public record Passwd(String name, int uid, int gid, String home) {
    }

    /** getpwnam_r(3); empty when there is no such user. */
    public static Optional<Passwd> getpwnam(String name) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pwd = a.allocate(48, 8);
            MemorySegment buf = a.allocate(16384);
            MemorySegment result = a.allocate(ADDRESS);
            int r = (int) GETPWNAM_R.get().invokeExact(a.allocateFrom(name), pwd, buf, buf.byteSize(), result);
            checkedReturnCode(r, "getpwnam_r(" + name + ")");
            if (result.get(ADDRESS, 0).equals(MemorySegment.NULL)) {
                return Optional.empty();
            }
            String home = pwd.get(ADDRESS, 32).reinterpret(4096).getString(0);
            return Optional.of(new Passwd(name, pwd.get(JAVA_INT, 16), pwd.get(JAVA_INT, 20), home));
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** getgrnam_r(3); the gid of a group, empty when there is no such group. */
    public static Optional<Integer> getgrnam(String name) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment grp = a.allocate(32, 8);
            MemorySegment buf = a.allocate(65536);
            MemorySegment result = a.allocate(ADDRESS);
            int r = (int) GETGRNAM_R.get().invokeExact(a.allocateFrom(name), grp, buf, buf.byteSize(), result);
            checkedReturnCode(r, "getgrnam_r(" + name + ")");
            if (result.get(ADDRESS, 0).equals(MemorySegment.NULL)) {
                return Optional.empty();
            }
            return Optional.of(grp.get(JAVA_INT, 16));
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---------------------------------------------------------------- posix_spawn

    /**
     * posix_spawn(3) / posix_spawnp(3). All arguments are native memory the caller owns.
     *
     * @return the child's pid
     */
    public static int posix_spawn(boolean searchPath, String program, MemorySegment fileActions, MemorySegment attr,
            MemorySegment argv, MemorySegment envp, MemorySegment pathC, MemorySegment pidOut) throws PosixException {
        try {
            int r = searchPath
                    ? (int) POSIX_SPAWNP.get().invokeExact(pidOut, pathC, fileActions, attr, argv, envp)
                    : (int) POSIX_SPAWN.get().invokeExact(pidOut, pathC, fileActions, attr, argv, envp);
            checkedReturnCode(r, (searchPath ? "posix_spawnp(" : "posix_spawn(") + program + ")");
            return pidOut.get(JAVA_INT, 0);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static void spawnCall(Downcall d, String call, MemorySegment obj) throws PosixException {
        try {
            checkedReturnCode((int) d.get().invokeExact(obj), call);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void posix_spawnattr_init(MemorySegment attr) throws PosixException {
        spawnCall(SPAWNATTR_INIT, "posix_spawnattr_init()", attr);
    }

    public static void posix_spawnattr_destroy(MemorySegment attr) throws PosixException {
        spawnCall(SPAWNATTR_DESTROY, "posix_spawnattr_destroy()", attr);
    }

    public static void posix_spawn_file_actions_init(MemorySegment fa) throws PosixException {
        spawnCall(FA_INIT, "posix_spawn_file_actions_init()", fa);
    }

    public static void posix_spawn_file_actions_destroy(MemorySegment fa) throws PosixException {
        spawnCall(FA_DESTROY, "posix_spawn_file_actions_destroy()", fa);
    }

    public static void posix_spawnattr_setflags(MemorySegment attr, short flags) throws PosixException {
        try {
            checkedReturnCode((int) SPAWNATTR_SETFLAGS.get().invokeExact(attr, flags), "posix_spawnattr_setflags()");
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void posix_spawnattr_setsigmask(MemorySegment attr, MemorySegment sigset) throws PosixException {
        try {
            checkedReturnCode((int) SPAWNATTR_SETSIGMASK.get().invokeExact(attr, sigset), "posix_spawnattr_setsigmask()");
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void posix_spawnattr_setsigdefault(MemorySegment attr, MemorySegment sigset) throws PosixException {
        try {
            checkedReturnCode((int) SPAWNATTR_SETSIGDEFAULT.get().invokeExact(attr, sigset), "posix_spawnattr_setsigdefault()");
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void posix_spawnattr_setpgroup(MemorySegment attr, int pgroup) throws PosixException {
        try {
            checkedReturnCode((int) SPAWNATTR_SETPGROUP.get().invokeExact(attr, pgroup), "posix_spawnattr_setpgroup()");
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void posix_spawn_file_actions_adddup2(MemorySegment fa, int fd, int newfd) throws PosixException {
        try {
            checkedReturnCode((int) FA_ADDDUP2.get().invokeExact(fa, fd, newfd),
                    "posix_spawn_file_actions_adddup2(" + fd + ", " + newfd + ")");
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void posix_spawn_file_actions_addopen(MemorySegment fa, int fd, MemorySegment path, String pathText,
            int oflag, int mode) throws PosixException {
        try {
            checkedReturnCode((int) FA_ADDOPEN.get().invokeExact(fa, fd, path, oflag, mode),
                    "posix_spawn_file_actions_addopen(" + fd + ", " + pathText + ")");
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void posix_spawn_file_actions_addclose(MemorySegment fa, int fd) throws PosixException {
        try {
            checkedReturnCode((int) FA_ADDCLOSE.get().invokeExact(fa, fd), "posix_spawn_file_actions_addclose(" + fd + ")");
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void posix_spawn_file_actions_addchdir_np(MemorySegment fa, MemorySegment dir, String dirText)
            throws PosixException {
        try {
            checkedReturnCode((int) FA_ADDCHDIR_NP.get().invokeExact(fa, dir),
                    "posix_spawn_file_actions_addchdir_np(" + dirText + ")");
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** fcntl(F_DUPFD_CLOEXEC): a close-on-exec duplicate of {@code fd} numbered {@code minFd} or above. */
    public static int dupCloexecAbove(int fd, int minFd) throws PosixException {
        return fcntl(fd, 1030 /* F_DUPFD_CLOEXEC */, minFd);
    }

    /**
     * poll(2) over {@code count} struct pollfd entries (8 bytes each: int fd, short events, short
     * revents; the same on both targets). EINTR is returned as 0 ready so callers just loop.
     */
    public static int poll(MemorySegment fds, int count, int timeoutMillis) throws PosixException {
        MemorySegment c = capture();
        try {
            int r = (int) POLL.get().invokeExact(c, fds, (long) count, timeoutMillis);
            if (r == -1) {
                if (errno(c) == 4 /* EINTR */) {
                    return 0;
                }
                throw fail("poll()", c);
            }
            return r;
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** Whether glibc has posix_spawn_file_actions_addclosefrom_np (2.34+). */
    public static boolean hasAddClosefrom() {
        return FA_ADDCLOSEFROM_NP != null;
    }

    /** posix_spawn_file_actions_addclosefrom_np(3): the child closes every fd >= {@code from}. */
    public static void posix_spawn_file_actions_addclosefrom_np(MemorySegment fa, int from) throws PosixException {
        if (FA_ADDCLOSEFROM_NP == null) {
            throw new UnsupportedOperationException("glibc < 2.34 has no posix_spawn_file_actions_addclosefrom_np");
        }
        try {
            checkedReturnCode((int) FA_ADDCLOSEFROM_NP.invokeExact(fa, from),
                    "posix_spawn_file_actions_addclosefrom_np(" + from + ")");
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void ftruncate(int fd, long length) throws PosixException {
        MemorySegment c = capture();
        try {
            checked((int) FTRUNCATE.get().invokeExact(c, fd, length), "ftruncate(" + fd + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** pwrite(2): writes at an offset without moving the file position. */
    public static long pwrite(int fd, MemorySegment buf, long count, long offset) throws PosixException {
        MemorySegment c = capture();
        try {
            long r = (long) PWRITE.get().invokeExact(c, fd, buf, count, offset);
            if (r == -1) {
                throw fail("pwrite(" + fd + ")", c);
            }
            return r;
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void fchmod(int fd, int mode) throws PosixException {
        MemorySegment c = capture();
        try {
            checked((int) FCHMOD.get().invokeExact(c, fd, mode), "fchmod(" + fd + ", 0" + Integer.toOctalString(mode) + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** fchown(2): changes the owner of the open file itself, never of whatever a path points to now. */
    public static void fchown(int fd, int uid, int gid) throws PosixException {
        MemorySegment c = capture();
        try {
            checked((int) FCHOWN.get().invokeExact(c, fd, uid, gid), "fchown(" + fd + ", " + uid + ", " + gid + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * statx(2) into {@code buf} ({@link Abi#STATX_SIZE} bytes): with {@code AT_EMPTY_PATH} and an
     * empty path it describes {@code dirfd} itself (fstat), with {@code AT_FDCWD} and
     * {@code AT_SYMLINK_NOFOLLOW} a path without following a final symlink (lstat).
     */
    public static void statx(int dirfd, String path, int flags, int mask, MemorySegment buf, String call)
            throws PosixException {
        MemorySegment c = capture();
        try (Arena a = Arena.ofConfined()) {
            checked((int) STATX.get().invokeExact(c, dirfd, a.allocateFrom(path), flags, mask, buf), call, c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** getgrouplist(3): every group {@code user} belongs to, {@code gid} included. */
    public static int[] getgrouplist(String user, int gid) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment name = a.allocateFrom(user);
            MemorySegment count = a.allocateFrom(JAVA_INT, 64);
            for (int attempt = 0; attempt < 4; attempt++) {
                int cap = count.get(JAVA_INT, 0);
                MemorySegment list = a.allocate(JAVA_INT, cap);
                int r = (int) GETGROUPLIST.get().invokeExact(name, gid, list, count);
                if (r >= 0) {
                    return list.asSlice(0, 4L * r).toArray(JAVA_INT);
                }
                // -1: too small; glibc stored the number needed in *ngroups.
                count.set(JAVA_INT, 0, Math.max(count.get(JAVA_INT, 0), cap * 2));
            }
            throw error("getgrouplist(" + user + ")", 34 /* ERANGE */);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void unlink(String path) throws PosixException {
        MemorySegment c = capture();
        try (Arena a = Arena.ofConfined()) {
            checked((int) UNLINK.get().invokeExact(c, a.allocateFrom(path)), "unlink(" + path + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int socket(int domain, int type, int protocol) throws PosixException {
        MemorySegment c = capture();
        try {
            return checked((int) SOCKET.get().invokeExact(c, domain, type, protocol),
                    "socket(" + domain + ", " + type + ", " + protocol + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** sendto(2) with a raw socket address of {@code addrLen} bytes. */
    public static long sendto(int fd, MemorySegment buf, long len, int flags, MemorySegment addr, int addrLen)
            throws PosixException {
        MemorySegment c = capture();
        try {
            long r = (long) SENDTO.get().invokeExact(c, fd, buf, len, flags, addr, addrLen);
            if (r == -1) {
                throw fail("sendto(" + fd + ")", c);
            }
            return r;
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** bind(2) to a raw socket address of {@code len} bytes. */
    public static void bind(int fd, MemorySegment addr, int len, String what) throws PosixException {
        MemorySegment c = capture();
        try {
            checked((int) BIND.get().invokeExact(c, fd, addr, len), "bind(" + what + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void listen(int fd, int backlog) throws PosixException {
        MemorySegment c = capture();
        try {
            checked((int) LISTEN.get().invokeExact(c, fd, backlog), "listen(" + fd + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** setsockopt(2) with an int value. */
    public static void setsockoptInt(int fd, int level, int name, int value) throws PosixException {
        MemorySegment c = capture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocateFrom(JAVA_INT, value);
            checked((int) SETSOCKOPT.get().invokeExact(c, fd, level, name, v, 4), "setsockopt(" + fd + ", " + name + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** getsockname(2) into {@code addr} (capacity {@code cap}); returns the address length. */
    public static int getsockname(int fd, MemorySegment addr, int cap) throws PosixException {
        MemorySegment c = capture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment len = a.allocateFrom(JAVA_INT, cap);
            checked((int) GETSOCKNAME.get().invokeExact(c, fd, addr, len), "getsockname(" + fd + ")", c);
            return len.get(JAVA_INT, 0);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** setresuid(2); -1 leaves an id unchanged. */
    public static void setresuid(int ruid, int euid, int suid) throws PosixException {
        MemorySegment c = capture();
        try {
            checked((int) SETRESUID.get().invokeExact(c, ruid, euid, suid), "setresuid(" + ruid + ", " + euid + ", " + suid + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** setresgid(2); -1 leaves an id unchanged. */
    public static void setresgid(int rgid, int egid, int sgid) throws PosixException {
        MemorySegment c = capture();
        try {
            checked((int) SETRESGID.get().invokeExact(c, rgid, egid, sgid), "setresgid(" + rgid + ", " + egid + ", " + sgid + ")", c);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** getgroups(2): the supplementary group ids. */
    public static int[] getgroups() throws PosixException {
        MemorySegment c = capture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment list = a.allocate(JAVA_INT, 65536);
            int n = checked((int) GETGROUPS.get().invokeExact(c, 65536, list), "getgroups()", c);
            return list.asSlice(0, 4L * n).toArray(JAVA_INT);
        } catch (PosixException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }
}
