package dev.daemonkit.supervise;

import dev.daemonkit.posix.Signal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How one supervised program runs, with supervisord's defaults where it has them.
 *
 * @param name          the program's name ({@code name:N} for its copies when numprocs > 1)
 * @param command       program and arguments
 * @param restart       when to restart after an exit from RUNNING
 * @param exitCodes     exit codes that count as expected (default 0)
 * @param startSeconds  how long it must stay up to count as started (default 1 s)
 * @param startRetries  failed starts in a row before FATAL (default 3)
 * @param backoffMax    cap of the exponential wait between failed starts (1 s, 2 s, 4 s... default 30 s)
 * @param stopSignal    sent to stop it (default TERM)
 * @param stopTimeout   then SIGKILL (default 10 s)
 * @param numprocs      number of copies (default 1)
 * @param stdoutLog     its stdout, appended and rotated; null: the supervisor's own stdout
 * @param stderrLog     its stderr; null: the supervisor's own stderr (or stdoutLog's file if that is set and this is "same")
 * @param logMaxBytes   rotate a log when it would grow beyond this (default 10 MiB; 0 = never)
 * @param logBackups    rotated files kept: name.1 ... name.N (default 5)
 * @param environment   extra environment
 * @param directory     working directory; null: the supervisor's
 * @param signalGroup   send stop and forwarded signals to its process group (it gets its own)
 * @param signalMap     rewrite forwarded signals (dumb-init -r): e.g. TERM → QUIT
 * @param pidfile       for a program that daemonizes itself: after it exits 0, track the pid in this file
 * @param listenFd      a listening socket to hand over as fd 0 (prefork), or -1
 * @param parentDeathSignal sent to the program if the supervisor dies (PR_SET_PDEATHSIG via
 *                      setpriv, see {@code Spawn.parentDeathSignal}); null for none
 */
public record ProgramSpec(String name, List<String> command, RestartPolicy restart, Set<Integer> exitCodes,
        Duration startSeconds, int startRetries, Duration backoffMax, Signal stopSignal, Duration stopTimeout,
        int numprocs, Path stdoutLog, Path stderrLog, long logMaxBytes, int logBackups, Map<String, String> environment,
        Path directory, boolean signalGroup, Map<Signal, Signal> signalMap, Path pidfile, int listenFd,
        Signal parentDeathSignal) {

    public ProgramSpec {
        Objects.requireNonNull(name, "name");
        if (command == null || command.isEmpty()) {
            throw new IllegalArgumentException("program " + name + " has no command");
        }
        command = List.copyOf(command);
        exitCodes = Set.copyOf(exitCodes);
        environment = Map.copyOf(environment);
        signalMap = signalMap.isEmpty() ? Map.of() : Map.copyOf(signalMap);
        if (numprocs < 1) {
            throw new IllegalArgumentException("numprocs must be at least 1");
        }
        if (startRetries < 0) {
            throw new IllegalArgumentException("startretries must not be negative");
        }
    }

    /** A builder with the defaults. */
    public static Builder builder(String name, List<String> command) {
        return new Builder(name, command);
    }

    /** Builds a {@link ProgramSpec}. */
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
        private long logMaxBytes = 10L << 20;
        private int logBackups = 5;
        private final Map<String, String> environment = new LinkedHashMap<>();
        private Path directory;
        private boolean signalGroup;
        private final Map<Signal, Signal> signalMap = new EnumMap<>(Signal.class);
        private Path pidfile;
        private int listenFd = -1;
        private Signal parentDeathSignal;

        /** Signal the program gets when the supervisor dies, even by SIGKILL. */
        public Builder parentDeathSignal(Signal s) {
            parentDeathSignal = s;
            return this;
        }

        private Builder(String name, List<String> command) {
            this.name = name;
            this.command = command;
        }

        public Builder restart(RestartPolicy p) {
            restart = p;
            return this;
        }

        public Builder exitCodes(Set<Integer> codes) {
            exitCodes = codes;
            return this;
        }

        public Builder startSeconds(Duration d) {
            startSeconds = d;
            return this;
        }

        public Builder startRetries(int n) {
            startRetries = n;
            return this;
        }

        public Builder backoffMax(Duration d) {
            backoffMax = d;
            return this;
        }

        public Builder stopSignal(Signal s) {
            stopSignal = s;
            return this;
        }

        public Builder stopTimeout(Duration d) {
            stopTimeout = d;
            return this;
        }

        public Builder numprocs(int n) {
            numprocs = n;
            return this;
        }

        public Builder stdoutLog(Path p) {
            stdoutLog = p;
            return this;
        }

        public Builder stderrLog(Path p) {
            stderrLog = p;
            return this;
        }

        public Builder logMaxBytes(long n) {
            logMaxBytes = n;
            return this;
        }

        public Builder logBackups(int n) {
            logBackups = n;
            return this;
        }

        public Builder env(String k, String v) {
            environment.put(k, v);
            return this;
        }

        public Builder directory(Path d) {
            directory = d;
            return this;
        }

        public Builder signalGroup(boolean on) {
            signalGroup = on;
            return this;
        }

        public Builder mapSignal(Signal from, Signal to) {
            signalMap.put(from, to);
            return this;
        }

        public Builder pidfile(Path p) {
            pidfile = p;
            return this;
        }

        public Builder listenFd(int fd) {
            listenFd = fd;
            return this;
        }

        public ProgramSpec build() {
            return new ProgramSpec(name, command, restart, exitCodes, startSeconds, startRetries, backoffMax,
                    stopSignal, stopTimeout, numprocs, stdoutLog, stderrLog, logMaxBytes, logBackups, environment,
                    directory, signalGroup, signalMap, pidfile, listenFd, parentDeathSignal);
        }
    }
}
