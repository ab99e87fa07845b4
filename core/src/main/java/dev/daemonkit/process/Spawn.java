package dev.daemonkit.process;

import dev.daemonkit.posix.CStringArray;
import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.FileActions;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.posix.SpawnAttr;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

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
    private final List<String> ownPidVariables = new ArrayList<>();

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
            environment = new TreeMap<>(dev.daemonkit.posix.ProcessEnvironment.current());
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
     * Sets each of these environment variables to the child's own pid (systemd's LISTEN_PID,
     * WATCHDOG_PID): the child is started through a {@code /bin/sh} exec trampoline that exports
     * them and execs the program in the same process (see PidTrampoline).
     */
    public Spawn ownPidVariables(String... names) {
        ownPidVariables.addAll(List.of(names));
        return this;
    }

    /**
     * Starts the child.
     *
     * @throws ExecException      "command not found", "is a directory", "is not executable",
     *                            "bad interpreter", naming the program
     * @throws PosixException     ENOENT/ENOTDIR naming the working directory or a redirect file
     *                            when those are bad; nothing is left running or open
     */
    public ChildProcess start() throws PosixException {
        Map<String, String> env = environment;
        String program = ProgramLookup.resolve(command.get(0), searchPath, directory,
                env != null ? env.get("PATH") : System.getenv("PATH"));
        List<String> argvList = command;
        if (!ownPidVariables.isEmpty()) {
            argvList = PidTrampoline.wrap(ownPidVariables, program, command.subList(1, command.size()));
            program = PidTrampoline.SHELL;
        }
        if (parentDeathSignal != null) {
            String setpriv;
            try {
                setpriv = findProgram("setpriv");
            } catch (PosixException e) {
                throw new IllegalStateException("a parent-death signal needs setpriv (util-linux), which is not in PATH");
            }
            List<String> wrapped = new ArrayList<>(List.of(setpriv, "--pdeathsig", parentDeathSignal.name(), "--", program));
            wrapped.addAll(argvList.subList(1, argvList.size()));
            argvList = wrapped;
            program = setpriv;
        }
        Reaper r = reaper != null ? reaper : Reaper.shared();
        List<Fd> closeInParent = new ArrayList<>(); // child ends of pipes, temporary duplicates
        Fd[] parentEnds = new Fd[3];                // our ends of pipes: the child's streams
        boolean started = false;
        try (Arena arena = Arena.ofConfined()) {
            SpawnAttributes.Settings settings =
                    new SpawnAttributes.Settings(resetSignals, keepIgnoredMask, resetIds, newSession, newProcessGroup);
            SpawnAttr attr = SpawnAttributes.of(settings, arena);
            String dir = directory != null ? directory.toAbsolutePath().toString() : null;
            ChildFiles files = new ChildFiles(stdin, stdout, stderr, redirectErrorStream, passedFds, dir);
            SpawnFileActions.Settings fixed =
                    SpawnFileActions.Settings.of(stdin, stdout, stderr, redirectErrorStream, !passedFds.isEmpty(), dir);
            FileActions shared = fixed == null ? null : SpawnFileActions.of(fixed, files::addFixed);
            FileActions fa = shared != null ? shared : new FileActions(arena);
            try {
                if (shared == null) {
                    files.add(fa, parentEnds, closeInParent);
                }
                CStringArray argv = CStringArray.of(arena, argvList);
                CStringArray envp = env == null && !dev.daemonkit.posix.ProcessEnvironment.changed() ? InheritedEnvironment.ENVP
                        : CStringArray.of(arena, environList(env != null ? env : dev.daemonkit.posix.ProcessEnvironment.current()));
                String path = program;
                r.spawnLock().lock();
                try {
                    int pid;
                    try {
                        pid = umask == null ? Posix.spawn(command.get(0), path, fa, attr, argv, envp)
                                : PosixFiles.withUmask(umask, () -> Posix.spawn(command.get(0), path, fa, attr, argv, envp));
                    } catch (PosixException e) {
                        throw explain(path, e);
                    }
                    ChildProcess child = ChildProcess.started(pid, command, r, parentEnds);
                    started = true;
                    return child;
                } finally {
                    r.spawnLock().unlock();
                }
            } finally {
                closeInParent.forEach(Fd::close);
                if (shared == null) {
                    fa.close();
                }
                SpawnAttributes.release(settings, attr);
            }
        } finally {
            if (!started) {
                for (Fd end : parentEnds) {
                    if (end != null) {
                        end.close();
                    }
                }
            }
        }
    }

    /** posix_spawn failed: which of the directory, a redirect file or the exec it was (see {@link ProgramLookup}). */
    private PosixException explain(String program, PosixException failure) {
        Redirect[] std = {stdin, stdout, redirectErrorStream ? stdout : stderr};
        return ProgramLookup.explainSpawn(command.get(0), program, directory, std, failure);
    }

    /**
     * {@code command} with its program made absolute when it is a relative path with a slash
     * ({@code ./run.sh}, {@code bin/app}), against this process's directory: so it means what the
     * user typed, whatever directory the child is started in (a daemon's is "/"). Bare names (looked
     * up in PATH) and absolute paths are left alone, and so are the arguments.
     */
    public static List<String> anchorProgram(List<String> command) {
        if (command.isEmpty()) {
            return command;
        }
        String program = command.get(0);
        if (!program.contains("/") || program.startsWith("/")) {
            return command;
        }
        List<String> anchored = new ArrayList<>(command);
        String relative = program;
        while (relative.startsWith("./")) {
            relative = relative.substring(2);
        }
        anchored.set(0, Path.of("").toAbsolutePath() + "/" + relative);
        return List.copyOf(anchored);
    }

    /**
     * Finds a program as a shell would: a name with a slash must exist and be executable; a bare
     * name is searched in this process's PATH.
     *
     * @return the path that would be executed
     * @throws ExecException "command not found", "is a directory", "is not executable", "bad interpreter"
     */
    public static String findProgram(String program) throws ExecException {
        String path = ProgramLookup.resolve(program, true, null, System.getenv("PATH"));
        ExecException problem = ProgramLookup.check(program, path);
        if (problem != null) {
            throw problem;
        }
        return path;
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
        static final CStringArray ENVP = CStringArray.of(Arena.global(), environList(System.getenv()));
    }

    @Override
    public String toString() {
        return "Spawn" + command;
    }
}
