package dev.daemonkit.supervise;

import dev.daemonkit.notify.ServiceProtocol;
import dev.daemonkit.posix.Signal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How one supervised program runs, with supervisord's defaults where it has them. Immutable;
 * made with {@link #builder}, whose setters document each default. The same options are
 * spelled on the command line and in config files as {@link ProgramOptions} lists them.
 */
public final class ProgramSpec {
    private final String name;
    private final List<String> command;
    private final RestartPolicy restart;
    private final Set<Integer> exitCodes;
    private final Duration startSeconds;
    private final int startRetries;
    private final Duration backoffMax;
    private final Signal stopSignal;
    private final Duration stopTimeout;
    private final int numprocs;
    private final Path stdoutLog;
    private final Path stderrLog;
    private final boolean redirectStderr;
    private final long logMaxBytes;
    private final int logBackups;
    private final Map<String, String> environment;
    private final Path directory;
    private final boolean signalGroup;
    private final Map<Signal, Signal> signalMap;
    private final Path pidfile;
    private final int listenFd;
    private final Signal parentDeathSignal;
    private final ServiceProtocol service;

    private ProgramSpec(Builder b) {
        name = b.name;
        command = List.copyOf(b.command);
        restart = b.restart;
        exitCodes = Set.copyOf(b.exitCodes);
        startSeconds = b.startSeconds;
        startRetries = b.startRetries;
        backoffMax = b.backoffMax;
        stopSignal = b.stopSignal;
        stopTimeout = b.stopTimeout;
        numprocs = b.numprocs;
        stdoutLog = b.stdoutLog;
        stderrLog = b.stderrLog;
        redirectStderr = b.redirectStderr;
        logMaxBytes = b.logMaxBytes;
        logBackups = b.logBackups;
        environment = Map.copyOf(b.environment);
        directory = b.directory;
        signalGroup = b.signalGroup;
        signalMap = Map.copyOf(b.signalMap);
        pidfile = b.pidfile;
        listenFd = b.listenFd;
        parentDeathSignal = b.parentDeathSignal;
        service = b.service;
    }

    /** A builder with the defaults. */
    public static Builder builder(String name, List<String> command) {
        return new Builder(name, command);
    }

    /** A builder holding this spec's values, to derive another from it. */
    public Builder toBuilder() {
        Builder b = new Builder(name, command).restart(restart).exitCodes(exitCodes).startSeconds(startSeconds)
                .startRetries(startRetries).backoffMax(backoffMax).stopSignal(stopSignal).stopTimeout(stopTimeout)
                .numprocs(numprocs).stdoutLog(stdoutLog).stderrLog(stderrLog).redirectStderr(redirectStderr)
                .logMaxBytes(logMaxBytes).logBackups(logBackups).directory(directory).signalGroup(signalGroup)
                .pidfile(pidfile).listenFd(listenFd).parentDeathSignal(parentDeathSignal).service(service);
        environment.forEach(b::env);
        signalMap.forEach(b::mapSignal);
        return b;
    }

    /** The program's name ({@code name:N} for its copies when numprocs > 1). */
    public String name() {
        return name;
    }

    /** Program and arguments. */
    public List<String> command() {
        return command;
    }

    /** When to restart after an exit from RUNNING. */
    public RestartPolicy restart() {
        return restart;
    }

    /** Exit codes that count as expected. */
    public Set<Integer> exitCodes() {
        return exitCodes;
    }

    /** How long it must stay up to count as started. */
    public Duration startSeconds() {
        return startSeconds;
    }

    /** Failed starts in a row before FATAL. */
    public int startRetries() {
        return startRetries;
    }

    /** Cap of the exponential wait between failed starts (1 s, 2 s, 4 s...). */
    public Duration backoffMax() {
        return backoffMax;
    }

    /** Sent to stop it. */
    public Signal stopSignal() {
        return stopSignal;
    }

    /** How long after the stop signal SIGKILL follows. */
    public Duration stopTimeout() {
        return stopTimeout;
    }

    /** Number of copies. */
    public int numprocs() {
        return numprocs;
    }

    /** Its stdout, appended and rotated; null: the supervisor's own stdout. */
    public Path stdoutLog() {
        return stdoutLog;
    }

    /** Its stderr's file: {@link #stdoutLog} when {@link #redirectStderr}; null: not a file of its own. */
    public Path stderrLog() {
        return redirectStderr ? stdoutLog : stderrLog;
    }

    /** Whether its stderr goes where its stdout goes (supervisord's redirect_stderr). */
    public boolean redirectStderr() {
        return redirectStderr;
    }

    /** Rotate a log when it would grow beyond this; 0: never. */
    public long logMaxBytes() {
        return logMaxBytes;
    }

    /** Rotated files kept: name.1 ... name.N. */
    public int logBackups() {
        return logBackups;
    }

    /** Extra environment. */
    public Map<String, String> environment() {
        return environment;
    }

    /** Working directory; null: the supervisor's. */
    public Path directory() {
        return directory;
    }

    /** Whether stop and forwarded signals go to its process group (it gets its own). */
    public boolean signalGroup() {
        return signalGroup;
    }

    /** Forwarded signals rewritten (dumb-init -r): e.g. TERM → QUIT. */
    public Map<Signal, Signal> signalMap() {
        return signalMap;
    }

    /** For a program that daemonizes itself: after it exits 0, follow the pid in this file; or null. */
    public Path pidfile() {
        return pidfile;
    }

    /** A listening socket handed over as fd 0 (prefork), or -1. */
    public int listenFd() {
        return listenFd;
    }

    /** Sent to the program if the supervisor dies (PR_SET_PDEATHSIG); null for none. */
    public Signal parentDeathSignal() {
        return parentDeathSignal;
    }

    /** Readiness by sd_notify or a ready fd, start timeout, watchdog, activated sockets; default none. */
    public ServiceProtocol service() {
        return service;
    }

    private List<Object> values() {
        return Arrays.asList(name, command, restart, exitCodes, startSeconds, startRetries, backoffMax, stopSignal,
                stopTimeout, numprocs, stdoutLog, stderrLog, redirectStderr, logMaxBytes, logBackups, environment,
                directory, signalGroup, signalMap, pidfile, listenFd, parentDeathSignal, service);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProgramSpec other && values().equals(other.values());
    }

    @Override
    public int hashCode() {
        return values().hashCode();
    }

    @Override
    public String toString() {
        return "ProgramSpec[name=" + name + ", command=" + command + ", restart=" + restart + ", exitCodes=" + exitCodes
                + ", startSeconds=" + startSeconds + ", startRetries=" + startRetries + ", backoffMax=" + backoffMax
                + ", stopSignal=" + stopSignal + ", stopTimeout=" + stopTimeout + ", numprocs=" + numprocs
                + ", stdoutLog=" + stdoutLog + ", stderrLog=" + stderrLog + ", redirectStderr=" + redirectStderr
                + ", logMaxBytes=" + logMaxBytes + ", logBackups=" + logBackups + ", environment=" + environment
                + ", directory=" + directory + ", signalGroup=" + signalGroup + ", signalMap=" + signalMap
                + ", pidfile=" + pidfile + ", listenFd=" + listenFd + ", parentDeathSignal=" + parentDeathSignal + ", service=" + service + "]";
    }

    /** Builds a {@link ProgramSpec}; each setter names its default. */
    public static final class Builder {
        private final String name;
        private final List<String> command;
        private RestartPolicy restart = RestartPolicy.ON_FAILURE;
        private Set<Integer> exitCodes = Set.of(0);
        private Duration startSeconds = Duration.ofSeconds(1);
        private int startRetries = 3;
        private Duration backoffMax = Duration.ofSeconds(30);
        private Signal stopSignal = Signal.SIGTERM;
        private Duration stopTimeout = Duration.ofSeconds(10);
        private int numprocs = 1;
        private Path stdoutLog;
        private Path stderrLog;
        private boolean redirectStderr;
        private long logMaxBytes = 10L << 20;
        private int logBackups = 5;
        private final Map<String, String> environment = new LinkedHashMap<>();
        private Path directory;
        private boolean signalGroup;
        private final Map<Signal, Signal> signalMap = new EnumMap<>(Signal.class);
        private Path pidfile;
        private int listenFd = -1;
        private Signal parentDeathSignal;
        private ServiceProtocol service = ServiceProtocol.NONE;

        private Builder(String name, List<String> command) {
            this.name = Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("a program needs a name");
            }
            if (command == null || command.isEmpty()) {
                throw new IllegalArgumentException("program " + name + " has no command");
            }
            this.command = List.copyOf(command);
        }

        /** Default on-failure. */
        public Builder restart(RestartPolicy p) {
            restart = Objects.requireNonNull(p, "restart");
            return this;
        }

        /** Default 0. */
        public Builder exitCodes(Set<Integer> codes) {
            exitCodes = Set.copyOf(codes);
            return this;
        }

        /** Default 1 s; zero: RUNNING as soon as it is spawned. */
        public Builder startSeconds(Duration d) {
            startSeconds = nonNegative(d, "start seconds");
            return this;
        }

        /** Default 3. */
        public Builder startRetries(int n) {
            startRetries = (int) atLeast(0, n, "start retries");
            return this;
        }

        /** Default 30 s. */
        public Builder backoffMax(Duration d) {
            backoffMax = nonNegative(d, "backoff max");
            return this;
        }

        /** Default TERM. */
        public Builder stopSignal(Signal s) {
            stopSignal = Objects.requireNonNull(s, "stop signal");
            return this;
        }

        /** Default 10 s. */
        public Builder stopTimeout(Duration d) {
            stopTimeout = nonNegative(d, "stop timeout");
            return this;
        }

        /** Default 1. */
        public Builder numprocs(int n) {
            numprocs = (int) atLeast(1, n, "numprocs");
            return this;
        }

        /** Default none (the supervisor's stdout); {@code %(process_num)d} in the name becomes the copy's number. */
        public Builder stdoutLog(Path p) {
            stdoutLog = p;
            return this;
        }

        boolean hasStdoutLog() {
            return stdoutLog != null;
        }

        /** Default none (the supervisor's stderr); excludes {@link #redirectStderr}. */
        public Builder stderrLog(Path p) {
            stderrLog = p;
            return this;
        }

        /** Default false: stderr goes where stdout goes (its log, or the supervisor's stdout). */
        public Builder redirectStderr(boolean on) {
            redirectStderr = on;
            return this;
        }

        /** Default 10 MiB; 0: never rotate. */
        public Builder logMaxBytes(long n) {
            logMaxBytes = atLeast(0, n, "log max bytes");
            return this;
        }

        /** Default 5. */
        public Builder logBackups(int n) {
            logBackups = (int) atLeast(0, n, "log backups");
            return this;
        }

        /** Adds to the environment (default: the supervisor's, plus SUPERVISOR_PROCESS_NAME). */
        public Builder env(String k, String v) {
            environment.put(Objects.requireNonNull(k, "key"), Objects.requireNonNull(v, "value"));
            return this;
        }

        /** Default none: the supervisor's working directory. */
        public Builder directory(Path d) {
            directory = d;
            return this;
        }

        /** Default false. */
        public Builder signalGroup(boolean on) {
            signalGroup = on;
            return this;
        }

        /** Forward {@code from} as {@code to}; default: signals are forwarded as they are. */
        public Builder mapSignal(Signal from, Signal to) {
            signalMap.put(Objects.requireNonNull(from, "from"), Objects.requireNonNull(to, "to"));
            return this;
        }

        /** Default none. */
        public Builder pidfile(Path p) {
            pidfile = p;
            return this;
        }

        /** Default -1 (none). */
        public Builder listenFd(int fd) {
            listenFd = (int) atLeast(-1, fd, "listen fd");
            return this;
        }

        /** Signal the program gets when the supervisor dies, even by SIGKILL; default none. */
        public Builder parentDeathSignal(Signal s) {
            parentDeathSignal = s;
            return this;
        }

        /** Default {@link ServiceProtocol#NONE}. */
        public Builder service(ServiceProtocol p) {
            service = Objects.requireNonNull(p, "service");
            return this;
        }

        ServiceProtocol service() {
            return service;
        }

        public ProgramSpec build() {
            if (redirectStderr && stderrLog != null) {
                throw new IllegalArgumentException("program " + name + ": a stderr log and redirect stderr exclude each other");
            }
            return new ProgramSpec(this);
        }

        private static long atLeast(long min, long n, String what) {
            if (n < min) {
                throw new IllegalArgumentException(what + " must be at least " + min + ": " + n);
            }
            return n;
        }

        private static Duration nonNegative(Duration d, String what) {
            if (d.isNegative()) {
                throw new IllegalArgumentException(what + " must not be negative: " + d);
            }
            return d;
        }
    }
}
