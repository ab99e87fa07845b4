package dev.daemonkit.process;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.daemonkit.internal.libc.Abi;
import dev.daemonkit.internal.libc.Libc;
import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.PosixException;
import java.io.File;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Starts a child process with posix_spawn(3) — never fork in the JVM, never ProcessBuilder.
 * A builder in the spirit of {@link ProcessBuilder}, with the options daemons need as data:
 *
 * <pre>{@code
 * try (ChildProcess p = Spawn.of("sh", "-c", "echo hello")
 *         .stdout(Redirect.PIPE)
 *         .newSession()
 *         .start()) {
 *     String out = new String(p.stdout().readAllBytes());
 *     WaitStatus status = p.waitFor();
 * }
 * }</pre>
 *
 * <p>What the child gets, by default:
 * <ul>
 * <li>fds 0, 1, 2 as configured (inherited unless redirected) and the fds passed with
 *     {@link #passFd(int, int)}; every other descriptor of the JVM is closed in the child;</li>
 * <li>every signal reset to its default action and an empty signal mask (the JVM blocks and
 *     ignores signals that must not leak into children);</li>
 * <li>the parent's environment (see {@link #environment()}), working directory and umask.</li>
 * </ul>
 *
 * <p>The program is looked up in the child's {@code PATH} when it has no slash, as a shell would.
 * Every child is registered with the {@link Reaper}, which collects its exit status even if nobody
 * asks for it, so no zombie is left behind.
 */
public final class Spawn {
    /** Serialises the umask swap: umask is process-wide and posix_spawn has no attribute for it. */
    private static final ReentrantLock UMASK_LOCK = new ReentrantLock();

    private final List<String> command;
    private Map<String, String> environment;
    private Path directory;
    private Redirect stdin = Redirect.INHERIT;
    private Redirect stdout = Redirect.INHERIT;
    private Redirect stderr = Redirect.INHERIT;
    private boolean redirectErrorStream;
    private boolean newSession;
    private boolean newProcessGroup;
    private boolean resetSignals = true;
    private long keepIgnoredMask;
    private boolean resetIds;
    private boolean searchPath = true;
    private Integer umask;
    private final Map<Integer, Integer> passedFds = new LinkedHashMap<>();
    private Reaper reaper;
    private dev.daemonkit.posix.Signal parentDeathSignal;

    private Spawn(List<String> command) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command must not be empty");
        }
        for (String arg : command) {
            Objects.requireNonNull(arg, "command arguments must not be null");
            if (arg.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("command argument contains a NUL byte: " + arg.replace("\0", "\\0"));
            }
        }
        this.command = List.copyOf(command);
    }

    /** A spawn of {@code program} with arguments; argv[0] is the program as given. */
    public static Spawn of(String program, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(program);
        cmd.addAll(List.of(args));
        return new Spawn(cmd);
    }

    /** A spawn of a command line: element 0 is the program. */
    public static Spawn of(List<String> command) {
        return new Spawn(command);
    }

    /** The command, program first. */
    public List<String> command() {
        return command;
    }

    /**
     * The child's environment, mutable, initialised from this process's: add, remove or
     * {@code clear()} entries as with ProcessBuilder.
     */
    public Map<String, String> environment() {
        if (environment == null) {
            environment = new TreeMap<>(System.getenv());
        }
        return environment;
    }

    /** Starts the child with an empty environment, to be filled through {@link #environment()}. */
    public Spawn clearEnvironment() {
        environment = new TreeMap<>();
        return this;
    }

    /** Sets one environment variable for the child. */
    public Spawn env(String name, String value) {
        environment().put(name, value);
        return this;
    }

    /** The child's working directory (checked before spawning; a missing one is named in the error). */
    public Spawn directory(Path dir) {
        this.directory = dir;
        return this;
    }

    public Spawn stdin(Redirect r) {
        this.stdin = Objects.requireNonNull(r);
        return this;
    }

    public Spawn stdout(Redirect r) {
        this.stdout = Objects.requireNonNull(r);
        return this;
    }

    public Spawn stderr(Redirect r) {
        this.stderr = Objects.requireNonNull(r);
        return this;
    }

    /** Sends stderr wherever stdout goes ({@code 2>&1}). */
    public Spawn redirectErrorStream(boolean on) {
        this.redirectErrorStream = on;
        return this;
    }

    /** POSIX_SPAWN_SETSID: the child leads a new session (and process group) with no controlling terminal. */
    public Spawn newSession() {
        this.newSession = true;
        return this;
    }

    /** POSIX_SPAWN_SETPGROUP with 0: the child leads a new process group in the caller's session. */
    public Spawn newProcessGroup() {
        this.newProcessGroup = true;
        return this;
    }

    /**
     * Whether to reset every signal to its default action and clear the signal mask in the child
     * (the default, true). Turn it off only to hand down deliberately ignored signals.
     */
    public Spawn resetSignals(boolean on) {
        this.resetSignals = on;
        return this;
    }

    /**
     * Leaves these signals out of the reset, so that a child inherits them if <em>this</em> process
     * ignores them (exec keeps SIG_IGN, never a handler). A launcher that wants its daemon to ignore
     * SIGHUP ignores it itself and lists it here.
     */
    public Spawn keepIgnored(java.util.Set<dev.daemonkit.posix.Signal> signals) {
        for (dev.daemonkit.posix.Signal s : signals) {
            keepIgnoredMask |= 1L << (s.number() - 1);
        }
        return this;
    }

    /**
     * POSIX_SPAWN_RESETIDS: the child's effective uid/gid become this process's real ones. With
     * real ids set to an unprivileged account, a root process spawns a child as that account.
     */
    public Spawn resetIds() {
        this.resetIds = true;
        return this;
    }

    /** Whether a program name without a slash is looked up in PATH (default true). */
    public Spawn searchPath(boolean on) {
        this.searchPath = on;
        return this;
    }

    /**
     * The child's umask. posix_spawn has no attribute for it, so the parent's umask is swapped
     * around the spawn under a lock; files created by other threads of this JVM during those
     * microseconds get this mask too.
     */
    public Spawn umask(int mask) {
        if (mask < 0 || mask > 0777) {
            throw new IllegalArgumentException("umask must be between 000 and 777 (octal): " + Integer.toOctalString(mask));
        }
        this.umask = mask;
        return this;
    }

    /** Passes this process's descriptor {@code parentFd} to the child as {@code childFd} (>= 3). */
    public Spawn passFd(int parentFd, int childFd) {
        if (childFd < 3) {
            throw new IllegalArgumentException("use stdin/stdout/stderr(Redirect.fd(...)) for fds 0-2");
        }
        passedFds.put(childFd, parentFd);
        return this;
    }

    /** The reaper that collects this child (default: {@link Reaper#shared()}). */
    public Spawn reaper(Reaper reaper) {
        this.reaper = Objects.requireNonNull(reaper);
        return this;
    }

    /**
     * Asks the kernel to send {@code signal} to the child when its parent dies
     * (PR_SET_PDEATHSIG), so it does not outlive a supervisor that was SIGKILLed. prctl would have
     * to run in the child between fork and exec, which posix_spawn cannot do and a JVM must not
     * fork for; so the child is started through util-linux's {@code setpriv --pdeathsig}, which
     * sets it and then execs the program (the setting survives exec).
     *
     * <p>Limits, from the kernel: the signal comes when the parent <em>thread</em> that spawned
     * the child exits, not only the process — spawn from a thread that lives as long as the
     * parent (the supervisor's event thread does); it is cleared when the child execs a set-uid
     * program; and it does not reach grandchildren.
     *
     * @throws IllegalStateException at {@link #start()} if setpriv is not installed
     */
    public Spawn parentDeathSignal(dev.daemonkit.posix.Signal signal) {
        this.parentDeathSignal = Objects.requireNonNull(signal);
        return this;
    }

    /**
     * Starts the child.
     *
     * @throws PosixException ENOENT naming the program when it does not exist (or is not in PATH),
     *                        EACCES when it is not executable, ENOENT/ENOTDIR naming the directory
     *                        when the working directory is bad; nothing is left running or open
     */
    public ChildProcess start() throws PosixException {
        Map<String, String> env = environment != null ? environment : null;
        String program = resolveProgram(env, false);
        List<String> argvList = command;
        if (parentDeathSignal != null) {
            String setpriv;
            try {
                setpriv = findProgram("setpriv");
            } catch (PosixException e) {
                throw new IllegalStateException("a parent-death signal needs setpriv (util-linux), which is not in PATH");
            }
            List<String> wrapped = new ArrayList<>(List.of(setpriv, "--pdeathsig", parentDeathSignal.name(), "--", program));
            wrapped.addAll(command.subList(1, command.size()));
            argvList = wrapped;
            program = setpriv;
        }
        Reaper r = reaper != null ? reaper : Reaper.shared();

        List<Integer> closeInParent = new ArrayList<>();   // child ends of pipes, temp dups
        List<Integer> closeOnFailure = new ArrayList<>();  // parent ends of pipes
        int[] parentEnds = {-1, -1, -1};
        try (Arena arena = Arena.ofConfined()) {
            SpawnAttributes.Settings settings =
                    new SpawnAttributes.Settings(resetSignals, keepIgnoredMask, resetIds, newSession, newProcessGroup);
            MemorySegment attr = SpawnAttributes.of(settings, arena);
            String dir = directory != null ? directory.toAbsolutePath().toString() : null;
            SpawnFileActions.Settings fixed =
                    SpawnFileActions.Settings.of(stdin, stdout, stderr, redirectErrorStream, !passedFds.isEmpty(), dir);
            MemorySegment shared = fixed == null ? null : SpawnFileActions.of(fixed, (a, f) -> {
                List<Integer> none = new ArrayList<>();
                addFileActions(a, f, dir, new int[] {-1, -1, -1}, none);
                if (!none.isEmpty()) {
                    throw new IllegalStateException("fixed file actions created descriptors " + none);
                }
            });
            MemorySegment fa = shared;
            if (fa == null) {
                fa = arena.allocate(Abi.POSIX_SPAWN_FILE_ACTIONS_SIZE, 8);
                Libc.posix_spawn_file_actions_init(fa);
            }
            try {
                if (shared == null) {
                    addFileActions(arena, fa, dir, parentEnds, closeInParent);
                }
                for (int e : parentEnds) {
                    if (e >= 0) {
                        closeOnFailure.add(e);
                    }
                }

                MemorySegment argv = cStringArray(arena, argvList);
                MemorySegment envp = env == null ? InheritedEnvironment.ENVP : cStringArray(arena, environList(env));
                MemorySegment pidOut = arena.allocate(JAVA_INT);
                MemorySegment path = arena.allocateFrom(program);

                int pid;
                r.spawnLock().lock();
                Integer oldMask = null;
                if (umask != null) {
                    UMASK_LOCK.lock();
                    oldMask = Libc.umask(umask);
                }
                try {
                    try {
                        pid = Libc.posix_spawn(false, command.get(0), fa, attr, argv, envp, path, pidOut);
                    } catch (PosixException e) {
                        throw explain(env, e);
                    }
                    return ChildProcess.started(pid, command, r, parentEnds);
                } finally {
                    if (oldMask != null) {
                        Libc.umask(oldMask);
                        UMASK_LOCK.unlock();
                    }
                    r.spawnLock().unlock();
                }
            } catch (PosixException | RuntimeException e) {
                for (int fd : closeOnFailure) {
                    closeQuietly(fd);
                }
                throw e;
            } finally {
                for (int fd : closeInParent) {
                    closeQuietly(fd);
                }
                if (shared == null) {
                    Libc.posix_spawn_file_actions_destroy(fa);
                }
                SpawnAttributes.release(settings, attr);
            }
        }
    }

    /**
     * Adds the child's file actions: stdio, passed fds, closing everything else, the directory.
     * Pipe ends for the parent go into {@code parentEnds}; descriptors to close in the parent after
     * the spawn (child ends, temporary duplicates) into {@code closeInParent}.
     */
    private void addFileActions(Arena arena, MemorySegment fa, String dir, int[] parentEnds, List<Integer> closeInParent)
            throws PosixException {
        Redirect err = redirectErrorStream ? stdout : stderr;
        parentEnds[0] = addStdio(arena, fa, 0, stdin, closeInParent);
        parentEnds[1] = addStdio(arena, fa, 1, stdout, closeInParent);
        if (redirectErrorStream) {
            Libc.posix_spawn_file_actions_adddup2(fa, 1, 2);
        } else {
            parentEnds[2] = addStdio(arena, fa, 2, err, closeInParent);
        }
        int maxChildFd = 2;
        for (Map.Entry<Integer, Integer> p : passedFds.entrySet()) {
            maxChildFd = Math.max(maxChildFd, p.getKey());
        }
        // Duplicate passed fds above every target number first, so one mapping can never
        // clobber the source of another; dup2 then clears close-on-exec on the target.
        for (Map.Entry<Integer, Integer> p : passedFds.entrySet()) {
            int tmp = Libc.dupCloexecAbove(p.getValue(), maxChildFd + 1);
            closeInParent.add(tmp);
            Libc.posix_spawn_file_actions_adddup2(fa, tmp, p.getKey());
        }
        // Below the highest target, close what is not a target (an fd of ours without
        // close-on-exec would leak otherwise); above it, closefrom does the rest.
        for (int fd = 3; fd < maxChildFd; fd++) {
            if (!passedFds.containsKey(fd)) {
                Libc.posix_spawn_file_actions_addclose(fa, fd);
            }
        }
        if (Libc.hasAddClosefrom()) {
            Libc.posix_spawn_file_actions_addclosefrom_np(fa, maxChildFd + 1);
        }
        if (dir != null) {
            Libc.posix_spawn_file_actions_addchdir_np(fa, arena.allocateFrom(dir), dir);
        }
    }

    /** Adds the file action for one std fd; returns the parent's end of a pipe, or -1. */
    private static int addStdio(Arena arena, MemorySegment fa, int fd, Redirect r, List<Integer> closeInParent)
            throws PosixException {
        switch (r) {
            case Redirect.Inherit i -> {
                return -1;
            }
            case Redirect.Fd f -> {
                // For f.fd() == fd glibc (>= 2.29) clears FD_CLOEXEC instead of a no-op dup2.
                Libc.posix_spawn_file_actions_adddup2(fa, f.fd(), fd);
                return -1;
            }
            case Redirect.ToFile t -> {
                String p = t.file().toAbsolutePath().toString();
                int flags = fd == 0 ? Abi.O_RDONLY
                        : Abi.O_WRONLY | Abi.O_CREAT | (t.append() ? Abi.O_APPEND : Abi.O_TRUNC);
                Libc.posix_spawn_file_actions_addopen(fa, fd, arena.allocateFrom(p), p, flags, 0644);
                return -1;
            }
            case Redirect.Pipe p -> {
                int[] pipe = Libc.pipe2(Abi.O_CLOEXEC);
                int childEnd = fd == 0 ? pipe[0] : pipe[1];
                int parentEnd = fd == 0 ? pipe[1] : pipe[0];
                closeInParent.add(childEnd);
                Libc.posix_spawn_file_actions_adddup2(fa, childEnd, fd);
                return parentEnd;
            }
        }
    }

    /**
     * posix_spawn failed: the errno (ENOENT, EACCES, ENOTDIR…) may come from the exec, the working
     * directory or a redirect file. These checks, kept off the fast path, name which one.
     */
    private PosixException explain(Map<String, String> env, PosixException failure) {
        try {
            checkDirectory();
            resolveProgram(env, true);
            Redirect[] std = {stdin, stdout, redirectErrorStream ? stdout : stderr};
            for (int fd = 0; fd < 3; fd++) {
                if (std[fd] instanceof Redirect.ToFile t) {
                    checkRedirectFile(t.file(), fd);
                }
            }
        } catch (PosixException specific) {
            return specific;
        }
        return failure;
    }

    private static void checkRedirectFile(Path file, int fd) throws PosixException {
        Path abs = file.toAbsolutePath();
        if (fd == 0) {
            if (!Files.exists(abs)) {
                throw Libc.error("open(" + abs + ") for stdin", Errno.ENOENT.number());
            }
        } else {
            Path parent = abs.getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                throw Libc.error("open(" + abs + ") for " + (fd == 1 ? "stdout" : "stderr"), Errno.ENOENT.number());
            }
        }
    }

    private void checkDirectory() throws PosixException {
        if (directory == null) {
            return;
        }
        if (!Files.exists(directory)) {
            throw Libc.error("chdir(" + directory + ") for the child", Errno.ENOENT.number());
        }
        if (!Files.isDirectory(directory)) {
            throw Libc.error("chdir(" + directory + ") for the child", Errno.ENOTDIR.number());
        }
    }

    /**
     * Finds a program as a shell would: a name with a slash must exist and be executable; a bare
     * name is searched in this process's PATH.
     *
     * @return the path that would be executed
     * @throws PosixException ENOENT (not found) or EACCES (not executable), naming the program
     */
    public static String findProgram(String program) throws PosixException {
        return of(program).resolveProgram(null, true);
    }

    /**
     * Resolves the program as execvp would, but against the child's PATH. A program with a slash
     * is only checked for existence and permission when {@code checkFiles} is set: on the fast
     * path posix_spawn itself reports ENOENT/EACCES, and {@link #explain} names the culprit.
     */
    private String resolveProgram(Map<String, String> env, boolean checkFiles) throws PosixException {
        String program = command.get(0);
        if (program.contains("/") || !searchPath) {
            // A relative program is relative to the child's directory when one is set (the child
            // execs after its chdir), else to user.dir — made absolute, because the kernel's cwd
            // of a daemonized JVM is "/" while Java keeps resolving against the launch directory.
            Path p = directory != null ? directory.toAbsolutePath().resolve(program) : Path.of(program).toAbsolutePath();
            if (checkFiles) {
                if (!Files.exists(p)) {
                    throw Libc.error("posix_spawn(" + program + ")", Errno.ENOENT.number());
                }
                if (Files.isDirectory(p) || !Files.isExecutable(p)) {
                    throw Libc.error("posix_spawn(" + program + ")", Errno.EACCES.number());
                }
            }
            return p.toString();
        }
        String path = env != null ? env.get("PATH") : System.getenv("PATH");
        if (path == null || path.isEmpty()) {
            path = "/usr/local/bin:/usr/bin:/bin";
        }
        boolean sawNonExecutable = false;
        for (String dir : path.split(File.pathSeparator, -1)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir).resolve(program);
            if (Files.isRegularFile(candidate)) {
                if (Files.isExecutable(candidate)) {
                    return candidate.toAbsolutePath().toString();
                }
                sawNonExecutable = true;
            }
        }
        throw new PosixException("posix_spawnp(" + program + ")",
                sawNonExecutable ? Errno.EACCES.number() : Errno.ENOENT.number(),
                (sawNonExecutable ? "found in PATH but not executable" : "not found in PATH") + ": " + path);
    }

    private static List<String> environList(Map<String, String> env) {
        List<String> list = new ArrayList<>(env.size());
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (e.getKey().indexOf('=') >= 0 || e.getKey().indexOf('\0') >= 0 || e.getValue().indexOf('\0') >= 0) {
                throw new IllegalArgumentException("invalid environment entry: " + e.getKey());
            }
            list.add(e.getKey() + "=" + e.getValue());
        }
        return list;
    }

    /**
     * The JVM's environment as a C array, built once: System.getenv() never changes, and
     * rebuilding ~50 C strings per spawn was measurable in the spawn benchmark.
     */
    private static final class InheritedEnvironment {
        static final MemorySegment ENVP = cStringArray(Arena.global(), environList(System.getenv()));
    }

    private static MemorySegment cStringArray(Arena arena, List<String> strings) {
        MemorySegment array = arena.allocate(ADDRESS, strings.size() + 1L);
        for (int i = 0; i < strings.size(); i++) {
            array.setAtIndex(ADDRESS, i, arena.allocateFrom(strings.get(i)));
        }
        array.setAtIndex(ADDRESS, strings.size(), MemorySegment.NULL);
        return array;
    }

    private static void closeQuietly(int fd) {
        try {
            Libc.close(fd);
        } catch (PosixException ignored) {
            // Cleanup after another failure: the first error is the one worth reporting.
        }
    }

    @Override
    public String toString() {
        return "Spawn" + command;
    }
}
