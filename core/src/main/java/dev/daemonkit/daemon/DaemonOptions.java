package dev.daemonkit.daemon;

import dev.daemonkit.posix.Signal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Every setting of a daemon in one object, each with a sane default — the counterpart of
 * python-daemon's DaemonContext. Immutable; made only through {@link #builder()}, so new
 * settings can be added without breaking callers:
 *
 * <pre>{@code
 * DaemonOptions o = DaemonOptions.builder()
 *         .pidfile(Path.of("/run/myd.pid"))
 *         .log(Path.of("/var/log/myd.log"))
 *         .build();
 * }</pre>
 *
 * <p>The settings, by accessor:
 * <ul>
 * <li>{@code pidfile} — where the daemon's pid is written and locked; null for none</li>
 * <li>{@code workingDirectory} — the daemon's directory, default "/" (so it never pins a mount point)</li>
 * <li>{@code umask} — default 022; the classic double-fork recipe uses 0</li>
 * <li>{@code stdin} — default /dev/null</li>
 * <li>{@code stdout} — log file for fd 1 (appended); null means /dev/null</li>
 * <li>{@code stderr} — log file for fd 2 (appended); null means the same as stdout</li>
 * <li>{@code readyTimeout} — how long the launcher waits for {@code Daemon.ready()}, default 10 s</li>
 * <li>{@code ignoredSignals} — set to SIG_IGN in the daemon; default SIGHUP, SIGTTIN, SIGTTOU, SIGPIPE</li>
 * <li>{@code user}, {@code group} — account to switch to after the pidfile and logs are open;
 *     null keeps the current one / means the user's primary group</li>
 * <li>{@code detach} — false: no re-launch, set up this very process (systemd Type=simple/notify);
 *     stdout/stderr then stay where they are (the journal) unless a log is given</li>
 * <li>{@code doubleFork} — true (default): a second stage so the daemon is not a session leader
 *     and can never acquire a controlling terminal</li>
 * <li>{@code preventCore} — RLIMIT_CORE 0, as python-daemon's prevent_core</li>
 * <li>{@code markerVariable} — environment variable that tells the re-launched JVM which stage it is</li>
 * <li>{@code environment} — extra environment for the daemon</li>
 * <li>{@code privilegedStep} — run in the daemon after the pidfile is written and before the
 *     switch to {@code user}, while still root: bind port 80, open a root-only file (jsvc's
 *     init()); null for none</li>
 * </ul>
 */
public final class DaemonOptions {
    private final Path pidfile;
    private final Path workingDirectory;
    private final int umask;
    private final Path stdin;
    private final Path stdout;
    private final Path stderr;
    private final Duration readyTimeout;
    private final Set<Signal> ignoredSignals;
    private final String user;
    private final String group;
    private final boolean detach;
    private final boolean doubleFork;
    private final boolean preventCore;
    private final String markerVariable;
    private final Map<String, String> environment;
    private final PrivilegedStep privilegedStep;
    private final String name;

    private DaemonOptions(Builder b) {
        this.pidfile = b.pidfile;
        this.workingDirectory = Objects.requireNonNull(b.workingDirectory, "workingDirectory");
        this.umask = b.umask;
        this.stdin = b.stdin == null ? Path.of("/dev/null") : b.stdin;
        this.stdout = b.stdout;
        this.stderr = b.stderr == null ? b.stdout : b.stderr;
        this.readyTimeout = Objects.requireNonNull(b.readyTimeout, "readyTimeout");
        this.ignoredSignals = Set.copyOf(b.ignoredSignals);
        this.user = b.user;
        this.group = b.group;
        this.detach = b.detach;
        this.doubleFork = b.doubleFork;
        this.preventCore = b.preventCore;
        this.markerVariable = Objects.requireNonNull(b.markerVariable, "markerVariable");
        this.environment = Map.copyOf(b.environment);
        this.privilegedStep = b.privilegedStep;
        this.name = b.name;
        if (umask < 0 || umask > 0777) {
            throw new IllegalArgumentException("umask must be 000..777 (octal)");
        }
    }

    public Path pidfile() {
        return pidfile;
    }

    /**
     * How the launching process names the program in what it prints: its errors go to stderr as
     * {@code NAME: message} (just the message when no name is set, the default).
     */
    public java.util.Optional<String> name() {
        return java.util.Optional.ofNullable(name);
    }

    public Path workingDirectory() {
        return workingDirectory;
    }

    public int umask() {
        return umask;
    }

    public Path stdin() {
        return stdin;
    }

    public Path stdout() {
        return stdout;
    }

    public Path stderr() {
        return stderr;
    }

    public Duration readyTimeout() {
        return readyTimeout;
    }

    public Set<Signal> ignoredSignals() {
        return ignoredSignals;
    }

    public String user() {
        return user;
    }

    public String group() {
        return group;
    }

    public boolean detach() {
        return detach;
    }

    public boolean doubleFork() {
        return doubleFork;
    }

    public boolean preventCore() {
        return preventCore;
    }

    public String markerVariable() {
        return markerVariable;
    }

    public Map<String, String> environment() {
        return environment;
    }

    public PrivilegedStep privilegedStep() {
        return privilegedStep;
    }

    /** What a daemon does as root before it drops to its user (see {@code privilegedStep}). */
    @FunctionalInterface
    public interface PrivilegedStep {
        /** Runs once; an exception fails the start and the launcher reports its message. */
        void run() throws java.io.IOException;
    }

    /** The default marker variable. */
    public static final String DEFAULT_MARKER = "DAEMONKIT_STAGE";

    /** A builder with every default set. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link DaemonOptions}. */
    public static final class Builder {
        private Path pidfile;
        private Path workingDirectory = Path.of("/");
        private int umask = 022;
        private Path stdin = Path.of("/dev/null");
        private Path stdout;
        private Path stderr;
        private Duration readyTimeout = Duration.ofSeconds(10);
        private Set<Signal> ignoredSignals = EnumSet.of(Signal.SIGHUP, Signal.SIGTTIN, Signal.SIGTTOU, Signal.SIGPIPE);
        private String user;
        private String group;
        private boolean detach = true;
        private boolean doubleFork = true;
        private boolean preventCore;
        private String markerVariable = DEFAULT_MARKER;
        private final Map<String, String> environment = new LinkedHashMap<>();
        private PrivilegedStep privilegedStep;
        private String name;

        /** See {@link DaemonOptions#name()}. */
        public Builder name(String n) {
            name = n;
            return this;
        }

        /** Code to run while still root, before the switch to {@link #user(String)}. */
        public Builder privilegedStep(PrivilegedStep step) {
            privilegedStep = step;
            return this;
        }

        public Builder pidfile(Path p) {
            pidfile = p == null ? null : p.toAbsolutePath();
            return this;
        }

        public Builder workingDirectory(Path p) {
            workingDirectory = p.toAbsolutePath();
            return this;
        }

        public Builder umask(int mask) {
            umask = mask;
            return this;
        }

        public Builder stdin(Path p) {
            stdin = p.toAbsolutePath();
            return this;
        }

        /** stdout and stderr both appended to this file. */
        public Builder log(Path p) {
            stdout = p == null ? null : p.toAbsolutePath();
            stderr = stdout;
            return this;
        }

        public Builder stdout(Path p) {
            stdout = p == null ? null : p.toAbsolutePath();
            return this;
        }

        public Builder stderr(Path p) {
            stderr = p == null ? null : p.toAbsolutePath();
            return this;
        }

        public Builder readyTimeout(Duration d) {
            readyTimeout = d;
            return this;
        }

        public Builder ignoredSignals(Set<Signal> s) {
            ignoredSignals = EnumSet.noneOf(Signal.class);
            ignoredSignals.addAll(s);
            return this;
        }

        public Builder user(String u) {
            user = u;
            return this;
        }

        public Builder group(String g) {
            group = g;
            return this;
        }

        public Builder detach(boolean on) {
            detach = on;
            return this;
        }

        public Builder doubleFork(boolean on) {
            doubleFork = on;
            return this;
        }

        public Builder preventCore(boolean on) {
            preventCore = on;
            return this;
        }

        public Builder markerVariable(String name) {
            markerVariable = name;
            return this;
        }

        public Builder env(String name, String value) {
            environment.put(name, value);
            return this;
        }

        public DaemonOptions build() {
            return new DaemonOptions(this);
        }
    }
}
