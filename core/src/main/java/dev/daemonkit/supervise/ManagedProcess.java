package dev.daemonkit.supervise;

import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.process.ChildProcess;
import dev.daemonkit.process.Spawn;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One copy of a supervised program and its state machine. Every method runs on the supervisor's
 * single event thread and never blocks it: exits, timers and the pidfile of a program that
 * daemonizes itself are events posted there, carrying the generation they belong to, so that a
 * late event of an earlier run is ignored. Every change of state goes through {@link #become}.
 */
final class ManagedProcess {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);

    /** A run shorter than this counts towards the crash-loop guard. */
    static final Duration QUICK = Duration.ofSeconds(1);
    /** Quick exits in a row that are restarted at once; after that, restarts back off. */
    static final int QUICK_FREE = 10;
    /** How long at least a program that daemonized itself has to name its daemon in its pidfile. */
    static final Duration PIDFILE_WAIT = Duration.ofSeconds(2);

    final ProgramSpec spec;
    final String name;
    private final Supervisor sup;
    private final RotatingLog stdoutLog;
    private final RotatingLog stderrLog;
    private final ServiceWatch service;

    private ProgramState state = ProgramState.STOPPED;
    private long generation;
    /** The signal the stop under way sends (see {@link #stop(Signal)}). */
    private Signal stopWith;
    private ChildProcess child;
    private TrackedDaemon tracked;
    /** Set while the pidfile of a program that daemonized itself is awaited (STARTING or STOPPING). */
    private PidfileSearch pidfileSearch;
    private Instant since = Instant.now();
    private int failedStarts;
    private Optional<WaitStatus> lastExit = Optional.empty();
    private String lastReason = "";
    private ScheduledFuture<?> timer;
    private int starts;
    private Instant startedAt = Instant.now();
    /** Exits from RUNNING in a row that came less than {@link #QUICK} after the start. */
    private int quickExits;
    /** Why this run is being stopped against its will (start timeout, watchdog); its exit is a failure. */
    private String serviceFailure;

    ManagedProcess(Supervisor sup, ProgramSpec spec, String name, RotatingLog stdoutLog, RotatingLog stderrLog) {
        this.sup = sup;
        this.spec = spec;
        this.name = name;
        this.stdoutLog = stdoutLog;
        this.stderrLog = stderrLog;
        this.service = new ServiceWatch(sup, this, spec.service(), sup.activationSockets(spec));
    }

    ServiceWatch service() {
        return service;
    }

    ProgramState state() {
        return state;
    }

    /** The status of its last exit; empty before one, or when it could not be seen (a tracked daemon). */
    Optional<WaitStatus> lastExit() {
        return lastExit;
    }

    String lastReason() {
        return lastReason;
    }

    int starts() {
        return starts;
    }

    /** The live pid, or -1. */
    int pid() {
        return child != null ? child.pid() : tracked != null ? tracked.pid() : -1;
    }

    Instant since() {
        return since;
    }

    /** The one way the state changes: logged at the transition's own level. */
    private void become(Transition t, String why) {
        ProgramState old = state;
        state = t.target;
        since = Instant.now();
        LOG.atLevel(t.level).log("{}: {} -> {} ({})", name, old, state, why);
        sup.changedLater();
    }

    /** A start asked for by a user (or the initial start): earlier failures no longer count. */
    void startRequested() {
        if (state == ProgramState.STOPPED || state.isFinal() || state == ProgramState.BACKOFF) {
            failedStarts = 0;
            quickExits = 0;
        }
        start();
    }

    private void start() {
        if (state == ProgramState.STARTING || state == ProgramState.RUNNING || state == ProgramState.STOPPING) {
            return;
        }
        cancelTimer();
        long g = ++generation;
        starts++;
        startedAt = Instant.now();
        Spawn s = ProgramSpawn.of(spec, name, sup.reaper(), stdoutLog != null, stderrLog != null);
        serviceFailure = null;
        try {
            service.prepare(s, g);
            child = s.start();
        } catch (PosixException | IllegalStateException e) {
            child = null;
            service.endRun();
            failedStart("cannot spawn: " + e.getMessage());
            return;
        }
        ChildProcess c = child;
        CompletableFuture<Void> out = stdoutLog != null ? stdoutLog.drain(c.stdout(), "log-" + name) : CompletableFuture.completedFuture(null);
        CompletableFuture<Void> err = stderrLog != null ? stderrLog.drain(c.stderr(), "log-" + name) : CompletableFuture.completedFuture(null);
        // The exit is handled once its output is in the log, so that what it printed last is
        // there when its state changes; a grandchild holding the pipe open delays that by 1 s
        // at most.
        CompletableFuture<Void> drained = CompletableFuture.allOf(out, err).completeOnTimeout(null, 1, TimeUnit.SECONDS);
        c.onExit().thenCombine(drained, (st, ignored) -> st).thenAccept(st -> sup.post(() -> exited(g, st)));
        service.spawned(g, c.pid());
        if (service.waitsForReady()) {
            become(Transition.SPAWNED, "pid " + c.pid() + ", waiting for it to report ready");
        } else if (spec.startSeconds().isZero()) {
            failedStarts = 0;
            become(Transition.STARTED, "pid " + c.pid() + ", no start seconds");
        } else {
            become(Transition.SPAWNED, "pid " + c.pid());
            timer = sup.schedule(spec.startSeconds(), () -> {
                if (generation == g && state == ProgramState.STARTING) {
                    failedStarts = 0;
                    become(Transition.STARTED, "pid " + c.pid() + " up for " + spec.startSeconds().toMillis() + " ms");
                }
            });
        }
    }

    private void exited(long g, WaitStatus st) {
        if (g != generation) {
            return;
        }
        cancelTimer();
        service.endRun();
        child.close();
        child = null;
        lastExit = Optional.of(st);
        String what = serviceFailure == null ? Supervisor.describe(st) : serviceFailure + "; " + Supervisor.describe(st);
        boolean daemonized = spec.pidfile() != null && st instanceof WaitStatus.Exited e && e.code() == 0;
        switch (state) {
            // A launcher that exits 0 after a stop request may have left its daemon running: find it, stop it.
            case STOPPING -> {
                if (daemonized) {
                    awaitPidfile(g);
                } else {
                    become(Transition.STOPPED, what);
                }
            }
            case STARTING -> {
                if (daemonized) {
                    awaitPidfile(g);
                } else if (doneForGood(st)) {
                    // A one-shot that finished quickly did its job: no retries, its status stands.
                    afterRunning(what, lastExit);
                } else {
                    failedStart(what + (serviceFailure != null ? "" : service.waitsForReady() ? " before it reported ready"
                            : " within " + spec.startSeconds().toMillis() + " ms of starting"));
                }
            }
            // Stopped for a service failure (watchdog): a failure whatever its exit status says.
            case RUNNING -> afterRunning(what, serviceFailure != null ? Optional.empty() : lastExit);
            default -> LOG.debug("{}: exit {} in state {}", name, what, state);
        }
    }

    /**
     * Whether an exit during the start seconds is final rather than a failed start: with restart
     * never every exit is (the program's status passes through), with on-failure an expected one.
     */
    private boolean doneForGood(WaitStatus st) {
        return spec.restart() == RestartPolicy.NEVER || spec.restart() == RestartPolicy.ON_FAILURE
                && st instanceof WaitStatus.Exited e && spec.exitCodes().contains(e.code());
    }

    /** After an exit from RUNNING: EXITED, and started again if its restart policy says so. */
    private void afterRunning(String what, Optional<WaitStatus> status) {
        // An exit nobody saw (a tracked daemon's) is unexpected: it was meant to keep running.
        boolean expected = status.filter(st -> st instanceof WaitStatus.Exited e && spec.exitCodes().contains(e.code()))
                .isPresent();
        boolean restart = spec.restart() == RestartPolicy.ALWAYS || spec.restart() == RestartPolicy.ON_FAILURE && !expected;
        lastReason = what + (expected ? " (expected)" : " (unexpected)");
        Transition exit = expected ? Transition.EXITED_EXPECTEDLY : Transition.EXITED_UNEXPECTEDLY;
        if (!restart || sup.shuttingDown()) {
            become(exit, lastReason);
            return;
        }
        // Crash-loop guard: with start seconds 0 every start "succeeds", so a program that
        // dies at once would otherwise be restarted in a tight loop, spinning the CPU and
        // filling its log. After QUICK_FREE quick exits in a row, restarts back off too.
        quickExits = Duration.between(startedAt, Instant.now()).compareTo(QUICK) < 0 ? quickExits + 1 : 0;
        if (quickExits > QUICK_FREE) {
            Duration wait = backoff(quickExits - QUICK_FREE);
            backOff(Transition.CRASH_LOOP, wait, lastReason + "; " + quickExits + " quick exits in a row, restarting in "
                    + wait.toMillis() + " ms");
            return;
        }
        become(exit, lastReason + "; restarting (restart=" + OptionValues.format(spec.restart()) + ")");
        start();
    }

    private void failedStart(String reason) {
        failedStarts++;
        lastReason = reason;
        if (failedStarts > spec.startRetries() || sup.shuttingDown()) {
            become(Transition.GAVE_UP, "gave up after " + failedStarts + " failed start" + (failedStarts == 1 ? "" : "s")
                    + " in a row; last: " + reason);
            return;
        }
        Duration wait = backoff(failedStarts);
        backOff(Transition.START_FAILED, wait, reason + "; retry " + failedStarts + " of " + spec.startRetries() + " in "
                + wait.toMillis() + " ms");
    }

    /** Enters BACKOFF and starts again after {@code wait}, unless something else happened meanwhile. */
    private void backOff(Transition t, Duration wait, String why) {
        become(t, why);
        long g = generation;
        timer = sup.schedule(wait, () -> {
            if (generation == g && state == ProgramState.BACKOFF) {
                start();
            }
        });
    }

    /** The wait before start attempt {@code attempt} (see {@link ProgramSpawn#backoff}). */
    private Duration backoff(int attempt) {
        return ProgramSpawn.backoff(attempt, spec.backoffMax());
    }

    /**
     * The program exited 0 and should have left a daemon behind: look for it in the pidfile for
     * its start seconds, but at least {@link #PIDFILE_WAIT}.
     */
    private void awaitPidfile(long g) {
        Duration wait = spec.startSeconds().compareTo(PIDFILE_WAIT) > 0 ? spec.startSeconds() : PIDFILE_WAIT;
        LOG.debug("{}: exited 0; waiting for a live pid in {}", name, spec.pidfile());
        pidfileSearch = new PidfileSearch(spec.pidfile(), wait, sup, () -> g == generation, daemon -> {
            pidfileSearch = null;
            track(g, daemon);
        }, why -> {
            pidfileSearch = null;
            if (state == ProgramState.STOPPING) {
                become(Transition.STOPPED, why);
            } else {
                failedStart(why);
            }
        });
        pidfileSearch.poll();
    }

    private void track(long g, TrackedDaemon d) {
        tracked = d;
        d.whenGone(name, () -> sup.post(() -> trackedExited(g)));
        if (state == ProgramState.STOPPING) {
            LOG.info("{}: found pid {} in {}; stopping it as asked", name, d.pid(), spec.pidfile());
            sendStop(g);
        } else {
            failedStarts = 0;
            become(Transition.STARTED, "daemonized itself; tracking pid " + d.pid() + " from " + spec.pidfile());
        }
    }

    private void trackedExited(long g) {
        if (g != generation || tracked == null) {
            return;
        }
        cancelTimer();
        String what = "pid " + tracked.pid() + " from pidfile exited (status unknown: not our child)";
        tracked.close();
        tracked = null;
        lastExit = Optional.empty();
        if (state == ProgramState.STOPPING) {
            become(Transition.STOPPED, what);
        } else {
            afterRunning(what, Optional.empty());
        }
    }

    /** READY=1 or a newline on the ready fd while STARTING: RUNNING. */
    void readyReported(long g, String how) {
        if (g == generation && state == ProgramState.STARTING && serviceFailure == null) {
            failedStarts = 0;
            become(Transition.STARTED, "pid " + pid() + " " + how);
        }
    }

    /**
     * The start timeout or the watchdog expired: the run is stopped (stop signal, then SIGKILL)
     * and its exit counts as a failed start or an unexpected exit, so the restart policy applies.
     */
    void serviceFailure(long g, String reason) {
        if (g != generation || child == null || serviceFailure != null
                || state != ProgramState.STARTING && state != ProgramState.RUNNING) {
            return;
        }
        serviceFailure = reason;
        LOG.warn("{}: {}; sending {}", name, reason, spec.stopSignal());
        cancelTimer();
        stopSignalThenKill(g, spec.stopSignal(), () -> child != null);
    }

    /** Stops it with its stop signal (ctl stop, ctl shutdown). */
    void stop() {
        stop(null);
    }

    /**
     * Stops it because the supervisor received {@code cause} (null: asked to): with the signal its
     * --map-signal maps {@code cause} to, else its stop signal — {@code --map-signal TERM:QUIT}
     * makes a {@code kill -TERM} of the supervisor reach the program as QUIT, as dumb-init -r does.
     */
    void stop(Signal cause) {
        stopWith = cause == null ? spec.stopSignal() : spec.signalMap().getOrDefault(cause, spec.stopSignal());
        if (pidfileSearch != null) {
            // Nothing to signal until the pidfile names the daemon; track() stops it then.
            if (state != ProgramState.STOPPING) {
                become(Transition.STOP_REQUESTED, "waiting for " + spec.pidfile() + " to name the process to stop");
            }
            return;
        }
        switch (state) {
            case STARTING, RUNNING -> {
                cancelTimer();
                become(Transition.STOP_REQUESTED, "sending " + stopWith);
                sendStop(generation);
            }
            case BACKOFF -> {
                cancelTimer();
                generation++;
                become(Transition.STOPPED, "stop requested");
            }
            default -> {
                // STOPPED, already STOPPING, or EXITED/FATAL: nothing runs, and the final state
                // (with its reason) stays visible as in supervisord.
            }
        }
    }

    /** Sends the stop signal, and SIGKILL after the stop timeout if this run is still there. */
    private void sendStop(long g) {
        stopSignalThenKill(g, stopWith, () -> state == ProgramState.STOPPING);
    }

    private void stopSignalThenKill(long g, Signal signal, java.util.function.BooleanSupplier stillDue) {
        send(signal);
        timer = sup.schedule(spec.stopTimeout(), () -> {
            if (generation == g && stillDue.getAsBoolean()) {
                LOG.warn("{}: still running {} ms after {}; sending SIGKILL", name, spec.stopTimeout().toMillis(), signal);
                send(Signal.SIGKILL);
            }
        });
    }

    /** Forwards a signal (rewritten by the program's signal map) if the program runs. */
    void forward(Signal s) {
        if (state == ProgramState.STARTING || state == ProgramState.RUNNING) {
            Signal mapped = spec.signalMap().getOrDefault(s, s);
            LOG.info("{}: forwarding {}{}", name, s, mapped != s ? " as " + mapped : "");
            send(mapped);
        }
    }

    private void send(Signal s) {
        try {
            service.signalMainPid(s);
            if (child != null) {
                if (spec.signalGroup()) {
                    child.signalGroup(s);
                } else {
                    child.signal(s);
                }
            } else if (tracked != null) {
                tracked.signal(s);
            }
        } catch (PosixException e) {
            LOG.debug("{}: {} not delivered: {}", name, s, e.getMessage());
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
