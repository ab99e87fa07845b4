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
 * python-daemon's DaemonContext:
 *
 * <pre>{@code
 * DaemonOptions o = DaemonOptions.builder()
 *         .pidfile(Path.of("/run/myd.pid"))
 *         .log(Path.of("/var/log/myd.log"))
 *         .build();
 * }</pre>
 *
 * @param pidfile          where the daemon's pid is written and locked; null for none
 * @param workingDirectory the daemon's directory, default "/" (so it never pins a mount point)
 * @param umask            default 022; the article uses 0
 * @param stdin            default /dev/null
 * @param stdout           log file for fd 1 (appended); null means /dev/null
 * @param stderr           log file for fd 2 (appended); null means the same as stdout
 * @param readyTimeout     how long the launcher waits for {@code Daemon.ready()}, default 10 s
 * @param ignoredSignals   set to SIG_IGN in the daemon; default SIGHUP, SIGTTIN, SIGTTOU, SIGPIPE
 * @param user             account to switch to after the pidfile and logs are open; null keeps the current one
 * @param group            group for that account; null means the user's primary group
 * @param detach           false: no re-launch, set up this very process (systemd Type=simple/notify);
 *                         stdout/stderr then stay where they are (the journal) unless a log is given
 * @param doubleFork       true (default): a second stage so the daemon is not a session leader
 *                         and can never acquire a controlling terminal
 * @param preventCore      RLIMIT_CORE 0, as python-daemon's prevent_core
 * @param markerVariable   environment variable that tells the re-launched JVM which stage it is
 * @param environment      extra environment for the daemon
 * @param privilegedStep   run in the daemon after the pidfile is written and before the switch
 *                         to {@code user}, while still root: bind port 80, open a root-only
 *                         file (jsvc's init()); null for none
 */
public record DaemonOptions(Path pidfile, Path workingDirectory, int umask, Path stdin, Path stdout, Path stderr,
        Duration readyTimeout, Set<Signal> ignoredSignals, String user, String group, boolean detach,
        boolean doubleFork, boolean preventCore, String markerVariable, Map<String, String> environment,
        PrivilegedStep privilegedStep) {

    /** What a daemon does as root before it drops to its user (see {@code privilegedStep}). */
    @FunctionalInterface
    public interface PrivilegedStep {
        /** Runs once; an exception fails the start and the launcher reports its message. */
        void run() throws java.io.IOException;
    }

    /** The default marker variable. */
    public static final String DEFAULT_MARKER = "DAEMONKIT_STAGE";

    public DaemonOptions {
        Objects.requireNonNull(workingDirectory, "workingDirectory");
        Objects.requireNonNull(readyTimeout, "readyTimeout");
        Objects.requireNonNull(markerVariable, "markerVariable");
        if (umask < 0 || umask > 0777) {
            throw new IllegalArgumentException("umask must be 000..777 (octal)");
        }
        ignoredSignals = Set.copyOf(ignoredSignals);
        environment = Map.copyOf(environment);
        stdin = stdin == null ? Path.of("/dev/null") : stdin;
    }

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
            return new DaemonOptions(pidfile, workingDirectory, umask, stdin, stdout, stderr == null ? stdout : stderr,
                    readyTimeout, ignoredSignals, user, group, detach, doubleFork, preventCore, markerVariable,
                    environment, privilegedStep);
        }
    }
}
