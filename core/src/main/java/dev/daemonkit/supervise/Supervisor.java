package dev.daemonkit.supervise;

import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.process.ActivationSockets;
import dev.daemonkit.process.JvmSignals;
import dev.daemonkit.process.Reaper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps programs running the way supervisord does — restart policies, start seconds, start
 * retries with exponential backoff then FATAL, stop signal then SIGKILL — and can act as a
 * container's init like tini: child subreaper, orphans reaped, signals forwarded.
 *
 * <pre>{@code
 * try (Supervisor s = Supervisor.builder()
 *         .program(ProgramSpec.builder("web", List.of("/usr/bin/myserver")).restart(RestartPolicy.ALWAYS).build())
 *         .mode(Supervisor.Mode.UNTIL_ALL_DONE).subreaper(true).controlSocket(Path.of("/run/web.sock"))
 *         .build()) {
 *     int status = s.runUntilDone(); // as `daemonkit supervise` does: signals, FATAL report, exit status
 * }
 * }</pre>
 *
 * <p>Or drive it yourself: {@link #start()}, {@link #status()}, {@link #stop(String)},
 * {@link #shutdown()}, {@link #finished()}. All state lives on one event thread that never
 * blocks: exits, timers and requests are queued there, so no state is ever touched by two threads.
 */
public final class Supervisor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);

    /** When {@link #finished()} completes on its own. */
    public enum Mode {
        /** When every program has reached a final state (tini / single-program style). */
        UNTIL_ALL_DONE,
        /** Only after {@link #shutdown()} (supervisord style: FATAL programs stay listed). */
        UNTIL_SHUTDOWN
    }

    /** One program copy's state, as {@code status} shows it. */
    public record ProcessStatus(String name, ProgramState state, int pid, Instant since, String lastReason,
            Optional<WaitStatus> lastExit, int starts, Optional<String> service) {
    }

    private final List<ManagedProcess> processes = new ArrayList<>();
    /** Listening sockets of the programs that have --listen, by program name: bound once, kept across restarts. */
    private final java.util.Map<String, ActivationSockets> activationSockets = new java.util.HashMap<>();
    private final ProgramLogs logs = new ProgramLogs();
    private final Mode mode;
    private final int remapExit;
    /** Programs between the stop and the start of a restart. */
    private final java.util.Set<ManagedProcess> restarting = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Stopped by {@link #stop(String)} and not started since: not "done" (see stop). */
    private final java.util.Set<ManagedProcess> stoppedOnRequest = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final OrphanReaping orphans;
    private final ControlServer control;
    private final EventLoop loop = new EventLoop();
    private final CompletableFuture<Integer> finished = new CompletableFuture<>();
    private volatile boolean shuttingDown;
    private int orphansReaped;

    /** A builder: programs, {@link Mode} (default UNTIL_SHUTDOWN), subreaper, control socket, exit remap. */
    public static Builder builder() {
        return new Builder();
    }

    private Supervisor(Builder b) throws IOException {
        this.mode = b.mode;
        this.remapExit = b.remapExit;
        ControlServer ctl = null;
        OrphanReaping reaping = null;
        try {
            for (ProgramSpec spec : b.programs) {
                if (!spec.service().listen().isEmpty()) {
                    ActivationSockets bound = ActivationSockets.bind(spec.service().listen());
                    activationSockets.put(spec.name(), bound);
                    LOG.info("{}: listening on {} (socket activation)", spec.name(), bound.describe());
                }
                for (int i = 0; i < spec.numprocs(); i++) {
                    String name = spec.numprocs() == 1 ? spec.name() : spec.name() + ":" + i;
                    processes.add(new ManagedProcess(this, spec, name, logs.open(spec.stdoutLog(), spec, i),
                            logs.open(spec.stderrLog(), spec, i)));
                }
            }
            ctl = b.controlSocket == null ? null : new ControlServer(b.controlSocket, this);
            reaping = new OrphanReaping(b.subreaper, st -> post(() -> {
                orphansReaped++;
                LOG.info("reaped orphan {}", describe(st));
            }));
        } catch (IOException e) {
            if (ctl != null) {
                ctl.close();
            }
            logs.close();
            activationSockets.values().forEach(ActivationSockets::close);
            throw e;
        }
        control = ctl;
        orphans = reaping;
    }

    /**
     * Runs the supervisor as its process's main job, the way {@code daemonkit supervise} does:
     * SIGTERM and SIGINT shut it down, SIGHUP, SIGUSR1 and SIGUSR2 are forwarded to the programs
     * (signals this process was started with ignored stay ignored); starts every program and
     * returns the exit status once it is done (see {@link Mode}; a FATAL program is logged at
     * ERROR and makes it 1). The signal handlers are put back on return.
     */
    public int runUntilDone() {
        return runUntilDone(() -> {
        });
    }

    /** {@link #runUntilDone()}, calling {@code started} once every program was started (a daemon's readiness). */
    public int runUntilDone(Runnable started) {
        try (JvmSignals.Caught stopping = JvmSignals.handle(List.of(Signal.SIGTERM, Signal.SIGINT),
                JvmSignals.WhenIgnored.LEAVE, this::shutdown);
                JvmSignals.Caught forwarded = JvmSignals.handle(List.of(Signal.SIGHUP, Signal.SIGUSR1, Signal.SIGUSR2),
                        JvmSignals.WhenIgnored.LEAVE, this::forward)) {
            start();
            started.run();
            return finished.join();
        }
    }

    /** Starts every program. */
    public void start() {
        call(() -> {
            processes.forEach(ManagedProcess::startRequested);
            return null;
        });
    }

    /** Completes with the supervisor's exit status once it is done (see {@link Mode}). */
    public CompletableFuture<Integer> finished() {
        return finished;
    }

    /** A snapshot of every program copy. */
    public List<ProcessStatus> status() {
        return call(() -> processes.stream().map(p -> new ProcessStatus(p.name, p.state(), p.pid(), p.since(),
                p.lastReason(), p.lastExit(), p.starts(), p.service().describe())).toList());
    }

    /** Orphans reaped in subreaper mode so far. */
    public int orphansReaped() {
        return call(() -> orphansReaped);
    }

    /**
     * Starts the named program (or all copies of a numprocs group, or "all"); returns how many
     * matched. A copy still stopping is started once it is down (waiting, as restart does), not
     * silently left stopped.
     */
    public int start(String name) {
        List<ManagedProcess> ps = call(() -> matching(name));
        startOnceStopped(ps);
        return ps.size();
    }

    /**
     * Stops the named program(s) with their stop signal, SIGKILL after their timeout. A program
     * stopped this way stays listed as STOPPED and does not end a single-program supervisor: it
     * waits for {@code ctl start} or a shutdown, as supervisord does.
     */
    public int stop(String name) {
        return each(name, p -> {
            stoppedOnRequest.add(p);
            p.stop();
        });
    }

    /** Stops the named program(s), then starts them again once they are down. */
    public int restart(String name) {
        List<ManagedProcess> ps = call(() -> {
            List<ManagedProcess> matched = matching(name);
            restarting.addAll(matched); // before the stop: see startOnceStopped
            matched.forEach(ManagedProcess::stop);
            return matched;
        });
        startOnceStopped(ps);
        return ps.size();
    }

    private void startOnceStopped(List<ManagedProcess> ps) {
        // STOPPED on the way is not the end: in single-program mode it would end the supervisor.
        // (restart adds them before its stop, whose STOPPED may be decided on at once.)
        restarting.addAll(ps);
        try {
            for (ManagedProcess p : ps) {
                waitFor(() -> call(() -> p.state() != ProgramState.STOPPING), p.spec.stopTimeout().plusSeconds(12));
                call(() -> {
                    stoppedOnRequest.remove(p);
                    p.startRequested();
                    restarting.remove(p);
                    return null;
                });
            }
        } finally {
            restarting.removeAll(ps);
            changedLater();
        }
    }

    /** Forwards a signal to every running program (through each one's signal map). */
    public void forward(Signal s) {
        post(() -> processes.forEach(p -> p.forward(s)));
    }

    /** Forwards a signal to the named program(s) only; returns how many matched. */
    public int forward(Signal s, String name) {
        return each(name, p -> p.forward(s));
    }

    /**
     * Stops every program in reverse order of the configuration, each with its stop signal and
     * timeout, and completes {@link #finished()}.
     */
    public CompletableFuture<Integer> shutdown() {
        return shutdown(null);
    }

    /**
     * {@link #shutdown()} because this process received {@code cause}: each program gets what its
     * signal map makes of {@code cause}, else its stop signal.
     */
    public CompletableFuture<Integer> shutdown(Signal cause) {
        post(() -> {
            if (!shuttingDown) {
                shuttingDown = true;
                LOG.info("shutting down {} program(s){}", processes.size(), cause == null ? "" : " on " + cause);
                for (int i = processes.size() - 1; i >= 0; i--) {
                    processes.get(i).stop(cause);
                }
                changed();
            }
        });
        return finished;
    }

    boolean shuttingDown() {
        return shuttingDown;
    }

    Reaper reaper() {
        return orphans.reaper();
    }

    /** The sockets bound for {@code spec}'s --listen, or null. */
    ActivationSockets activationSockets(ProgramSpec spec) {
        return activationSockets.get(spec.name());
    }

    /** The ports bound for a program's --listen, in order (useful after port 0); empty without. */
    public List<Integer> listeningPorts(String program) {
        ActivationSockets a = activationSockets.get(program);
        return a == null ? List.of() : a.ports();
    }

    /** Called by every transition: {@link #changed()} once the event that made it is over. */
    void changedLater() {
        post(this::changed);
    }

    /** Decides whether the supervisor is done. */
    private void changed() {
        if (finished.isDone()) {
            return;
        }
        boolean allFinal = processes.stream().allMatch(p -> p.state().isFinal() && !restarting.contains(p)
                && (shuttingDown || !stoppedOnRequest.contains(p)));
        if (!allFinal || !shuttingDown && mode == Mode.UNTIL_SHUTDOWN) {
            return;
        }
        int code = 0;
        for (ManagedProcess p : processes) {
            if (p.state() == ProgramState.FATAL) {
                LOG.error("program {} entered FATAL: {}", p.name, p.lastReason());
                code = 1;
            }
        }
        // tini style: in single-program mode the supervisor's status is the program's. A
        // supervisord-style shutdown on request is a success unless something went FATAL.
        if (code == 0 && processes.size() == 1 && mode == Mode.UNTIL_ALL_DONE) {
            code = processes.get(0).lastExit().map(WaitStatus::shellExitCode).orElse(0);
            code = code == remapExit ? 0 : code; // tini -e
        }
        finished.complete(code);
    }

    void post(Runnable r) {
        loop.post(r);
    }

    ScheduledFuture<?> schedule(Duration d, Runnable r) {
        return loop.schedule(d, r);
    }

    private <T> T call(java.util.concurrent.Callable<T> c) {
        return loop.call(c);
    }

    private int each(String name, java.util.function.Consumer<ManagedProcess> action) {
        return call(() -> {
            List<ManagedProcess> ps = matching(name);
            ps.forEach(action);
            return ps.size();
        });
    }

    private List<ManagedProcess> matching(String name) {
        return processes.stream().filter(p -> name.equals("all") || p.name.equals(name) || p.spec.name().equals(name))
                .toList();
    }

    private static void waitFor(java.util.function.BooleanSupplier cond, Duration max) {
        long end = System.nanoTime() + max.toNanos();
        while (!cond.getAsBoolean() && System.nanoTime() < end) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** "pid 42 exited with status 3", "pid 42 killed by SIGKILL". */
    static String describe(WaitStatus s) {
        return "pid " + s.pid() + " " + s.outcome();
    }

    /**
     * Reopens every log file (after logrotate moved them).
     *
     * @return one line ("FILE: reason") per log that could not be reopened and is still written
     *         to the file it was; empty when all were reopened
     */
    public List<String> reopenLogs() {
        return logs.reopen();
    }

    /**
     * Shuts down (if not yet), waits for the programs to stop, then closes the control socket,
     * the logs and the event thread.
     */
    @Override
    public void close() {
        try {
            shutdown().get(5, TimeUnit.MINUTES);
        } catch (Exception e) {
            LOG.warn("shutdown did not finish: {}", e.toString());
        }
        if (control != null) {
            try {
                control.close();
            } catch (IOException e) {
                LOG.debug("control socket: {}", e.getMessage());
            }
        }
        loop.close();
        processes.forEach(p -> p.service().close());
        activationSockets.values().forEach(ActivationSockets::close);
        logs.close();
        orphans.close();
    }

    /** Builds a {@link Supervisor}. */
    public static final class Builder {
        private final List<ProgramSpec> programs = new ArrayList<>();
        private Mode mode = Mode.UNTIL_SHUTDOWN;
        private boolean subreaper;
        private Path controlSocket;
        private int remapExit = -1;

        private Builder() {
        }

        /** Adds a program (its numprocs copies); names must be unique. */
        public Builder program(ProgramSpec spec) {
            if (programs.stream().anyMatch(p -> p.name().equals(spec.name()))) {
                throw new IllegalArgumentException("program " + spec.name() + " is given twice");
            }
            programs.add(spec);
            return this;
        }

        /** Adds programs, in order (shutdown stops them in reverse). */
        public Builder programs(List<ProgramSpec> specs) {
            specs.forEach(this::program);
            return this;
        }

        /** When {@link #finished()} completes on its own; default UNTIL_SHUTDOWN. */
        public Builder mode(Mode m) {
            mode = java.util.Objects.requireNonNull(m, "mode");
            return this;
        }

        /**
         * Become a child subreaper (PR_SET_CHILD_SUBREAPER) and reap every child, including
         * orphans of double-forking programs; default false. As PID 1 the supervisor reaps every
         * child anyway. ProcessBuilder children in the same JVM keep their exit values (see
         * {@link Reaper}); orphans still running when the supervisor closes get SIGTERM, then
         * SIGKILL after 5 s.
         */
        public Builder subreaper(boolean on) {
            subreaper = on;
            return this;
        }

        /** An owner-only (0600) control socket for {@code daemonkit ctl} (see {@link ControlServer}); default none. */
        public Builder controlSocket(Path socket) {
            controlSocket = socket;
            return this;
        }

        /** In single-program UNTIL_ALL_DONE mode, report the program's status {@code code} as 0 (tini -e). */
        public Builder remapExit(int code) {
            if (code < 0 || code > 255) {
                throw new IllegalArgumentException("exit status to remap must be 0..255: " + code);
            }
            remapExit = code;
            return this;
        }

        /**
         * Opens the log files and binds the control socket; nothing is started yet.
         *
         * @throws IOException a log file cannot be opened, or the control socket bound
         */
        public Supervisor build() throws IOException {
            if (programs.isEmpty()) {
                throw new IllegalStateException("a supervisor needs at least one program");
            }
            return new Supervisor(this);
        }
    }
}
