package dev.daemonkit.supervise;

import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.process.ChildProcess;
import dev.daemonkit.process.Redirect;
import dev.daemonkit.process.Spawn;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One copy of a supervised program and its state machine. Every method runs on the supervisor's
 * single event thread; events from other threads (exits, timers) are posted there and carry the
 * generation they belong to, so that a late event of an earlier run is ignored.
 */
final class ManagedProcess {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);

    final ProgramSpec spec;
    final String name;
    private final Supervisor sup;
    private final RotatingLog stdoutLog;
    private final RotatingLog stderrLog;

    private ProgramState state = ProgramState.STOPPED;
    private long generation;
    private ChildProcess child;
    private int trackedPid = -1;
    private Fd trackedPidfd;
    private Instant since = Instant.now();
    private int failedStarts;
    private Optional<WaitStatus> lastExit = Optional.empty();
    private String lastReason = "";
    private ScheduledFuture<?> timer;
    private int starts;
    private Instant startedAt = Instant.now();
    /** Exits from RUNNING in a row that came less than {@link #QUICK} after the start. */
    private int quickExits;

    /** A run shorter than this counts towards the crash-loop guard. */
    static final Duration QUICK = Duration.ofSeconds(1);
    /** Quick exits in a row that are restarted at once; after that, restarts back off. */
    static final int QUICK_FREE = 10;

    ManagedProcess(Supervisor sup, ProgramSpec spec, String name, RotatingLog stdoutLog, RotatingLog stderrLog) {
        this.sup = sup;
        this.spec = spec;
        this.name = name;
        this.stdoutLog = stdoutLog;
        this.stderrLog = stderrLog;
    }

    ProgramState state() {
        return state;
    }

    Optional<WaitStatus> lastExit() {
        return lastExit;
    }

    String lastReason() {
        return lastReason;
    }

    int failedStarts() {
        return failedStarts;
    }

    int starts() {
        return starts;
    }

    /** The live pid, or -1. */
    int pid() {
        if (child != null) {
            return child.pid();
        }
        return trackedPid;
    }

    Instant since() {
        return since;
    }

    private void become(ProgramState s, String why) {
        ProgramState old = state;
        state = s;
        since = Instant.now();
        if (s == ProgramState.FATAL) {
            LOG.error("{}: {} -> {} ({})", name, old, s, why);
        } else if (s == ProgramState.BACKOFF || s == ProgramState.EXITED && !why.contains("expected")) {
            LOG.warn("{}: {} -> {} ({})", name, old, s, why);
        } else {
            LOG.info("{}: {} -> {} ({})", name, old, s, why);
        }
        sup.changed();
    }

    /** A start asked for by a user (or the initial start): earlier failures no longer count. */
    void startRequested() {
        if (state == ProgramState.STOPPED || state.isFinal() || state == ProgramState.BACKOFF) {
            failedStarts = 0;
            quickExits = 0;
        }
        start();
    }

    void start() {
        if (state == ProgramState.STARTING || state == ProgramState.RUNNING || state == ProgramState.STOPPING) {
            return;
        }
        cancelTimer();
        long g = ++generation;
        starts++;
        startedAt = Instant.now();
        Spawn s = Spawn.of(spec.command()).reaper(sup.reaper());
        spec.environment().forEach(s::env);
        if (spec.directory() != null) {
            s.directory(spec.directory());
        }
        if (spec.signalGroup()) {
            s.newProcessGroup();
        }
        if (spec.parentDeathSignal() != null) {
            s.parentDeathSignal(spec.parentDeathSignal());
        }
        if (spec.listenFd() >= 0) {
            s.stdin(Redirect.fd(spec.listenFd())).env("DAEMONKIT_LISTEN_FD", "0");
        } else {
            s.stdin(Redirect.NULL);
        }
        s.stdout(stdoutLog != null ? Redirect.PIPE : Redirect.INHERIT);
        s.stderr(stderrLog != null ? Redirect.PIPE : Redirect.INHERIT);
        s.env("SUPERVISOR_PROCESS_NAME", name);
        try {
            child = s.start();
        } catch (PosixException | IllegalStateException e) {
            child = null;
            failedStart("cannot spawn: " + e.getMessage());
            return;
        }
        ChildProcess c = child;
        CompletableFuture<Void> out = stdoutLog != null ? pump(c.stdout(), stdoutLog) : CompletableFuture.completedFuture(null);
        CompletableFuture<Void> err = stderrLog != null ? pump(c.stderr(), stderrLog) : CompletableFuture.completedFuture(null);
        // The exit is handled once its output is in the log, so that what it printed last is
        // there when its state changes; a grandchild holding the pipe open delays that by 1 s
        // at most.
        CompletableFuture<Void> drained = CompletableFuture.allOf(out, err).completeOnTimeout(null, 1, TimeUnit.SECONDS);
        c.onExit().thenCombine(drained, (st, ignored) -> st).thenAccept(st -> sup.post(() -> exited(g, st)));
        if (spec.startSeconds().isZero()) {
            become(ProgramState.RUNNING, "pid " + c.pid() + ", no start seconds");
            failedStarts = 0;
        } else {
            become(ProgramState.STARTING, "pid " + c.pid());
            timer = sup.schedule(spec.startSeconds(), () -> {
                if (generation == g && state == ProgramState.STARTING) {
                    failedStarts = 0;
                    become(ProgramState.RUNNING, "pid " + c.pid() + " up for " + spec.startSeconds().toMillis() + " ms");
                }
            });
        }
    }

    private CompletableFuture<Void> pump(InputStream in, RotatingLog log) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread.ofVirtual().name("log-" + name).start(() -> {
            byte[] buf = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    log.write(buf, 0, n);
                }
            } catch (IOException e) {
                LOG.debug("{}: log pump ended: {}", name, e.getMessage());
            } finally {
                done.complete(null);
            }
        });
        return done;
    }

    private void exited(long g, WaitStatus st) {
        if (g != generation) {
            return;
        }
        cancelTimer();
        if (child != null) {
            child.close();
            child = null;
        }
        lastExit = Optional.of(st);
        String what = Supervisor.describe(st);
        switch (state) {
            case STOPPING -> become(ProgramState.STOPPED, what);
            case STARTING -> {
                if (spec.pidfile() != null && st instanceof WaitStatus.Exited e && e.code() == 0) {
                    track(g);
                } else {
                    failedStart(what + " within " + spec.startSeconds().toMillis() + " ms of starting");
                }
            }
            case RUNNING -> afterRunning(what, st);
            default -> LOG.debug("{}: exit {} in state {}", name, what, state);
        }
    }

    private void afterRunning(String what, WaitStatus st) {
        boolean expected = st instanceof WaitStatus.Exited e && spec.exitCodes().contains(e.code());
        boolean restart = spec.restart() == RestartPolicy.ALWAYS || spec.restart() == RestartPolicy.ON_FAILURE && !expected;
        lastReason = what + (expected ? " (expected)" : " (unexpected)");
        if (restart && !sup.shuttingDown()) {
            // Crash-loop guard: with start seconds 0 every start "succeeds", so a program that
            // dies at once would otherwise be restarted in a tight loop, spinning the CPU and
            // filling its log. After QUICK_FREE quick exits in a row, restarts back off too.
            quickExits = Duration.between(startedAt, Instant.now()).compareTo(QUICK) < 0 ? quickExits + 1 : 0;
            if (quickExits > QUICK_FREE) {
                Duration wait = backoff(quickExits - QUICK_FREE);
                backOff(wait, lastReason + "; " + quickExits + " quick exits in a row, restarting in "
                        + wait.toMillis() + " ms");
                return;
            }
            state = ProgramState.EXITED;
            LOG.info("{}: {}; restarting (restart={})", name, lastReason, spec.restart().name().toLowerCase());
            start();
        } else {
            become(ProgramState.EXITED, lastReason);
        }
    }

    private void failedStart(String reason) {
        failedStarts++;
        lastReason = reason;
        if (failedStarts > spec.startRetries() || sup.shuttingDown()) {
            become(ProgramState.FATAL, "gave up after " + failedStarts + " failed start" + (failedStarts == 1 ? "" : "s")
                    + " in a row; last: " + reason);
            return;
        }
        Duration wait = backoff(failedStarts);
        backOff(wait, reason + "; retry " + failedStarts + " of " + spec.startRetries() + " in " + wait.toMillis() + " ms");
    }

    /** Enters BACKOFF and starts again after {@code wait}, unless something else happened meanwhile. */
    private void backOff(Duration wait, String why) {
        become(ProgramState.BACKOFF, why);
        long g = generation;
        timer = sup.schedule(wait, () -> {
            if (generation == g && state == ProgramState.BACKOFF) {
                start();
            }
        });
    }

    /** 1 s, 2 s, 4 s... capped, with "equal jitter" (half fixed, half random) so restarts do not align. */
    Duration backoff(int attempt) {
        long capMs = spec.backoffMax().toMillis();
        long ms = Math.min(capMs, 1000L << Math.min(20, attempt - 1));
        long jittered = ms / 2 + (ms > 1 ? ThreadLocalRandom.current().nextLong(ms / 2 + 1) : 0);
        return Duration.ofMillis(Math.max(1, jittered));
    }

    /** A program that daemonized itself: follow the pid it wrote, through a pidfd. */
    private void track(long g) {
        try {
            String text = "";
            for (int i = 0; i < 40 && text.isBlank(); i++) {
                text = Files.exists(spec.pidfile()) ? Files.readString(spec.pidfile()).trim() : "";
                if (text.isBlank()) {
                    Thread.sleep(50);
                }
            }
            trackedPid = Integer.parseInt(text);
            trackedPidfd = Posix.openPidfd(trackedPid);
        } catch (IOException | NumberFormatException | InterruptedException e) {
            failedStart("exited 0 but its pidfile " + spec.pidfile() + " names no live process: " + e.getMessage());
            return;
        }
        Fd fd = trackedPidfd;
        Thread.ofVirtual().name("track-" + name).start(() -> {
            try {
                while (!Posix.pollReadable(fd, Duration.ofSeconds(60))) {
                    // still alive
                }
            } catch (PosixException e) {
                LOG.debug("{}: tracking ended: {}", name, e.getMessage());
            }
            sup.post(() -> trackedExited(g));
        });
        failedStarts = 0;
        become(ProgramState.RUNNING, "daemonized itself; tracking pid " + trackedPid + " from " + spec.pidfile());
    }

    private void trackedExited(long g) {
        if (g != generation) {
            return;
        }
        cancelTimer();
        closeTracked();
        String what = "pid from pidfile exited (status unknown: not our child)";
        lastExit = Optional.empty();
        if (state == ProgramState.STOPPING) {
            become(ProgramState.STOPPED, what);
        } else {
            afterRunning(what, new WaitStatus.Signaled(-1, 0, false));
        }
    }

    private void closeTracked() {
        if (trackedPidfd != null) {
            trackedPidfd.close();
        }
        trackedPidfd = null;
        trackedPid = -1;
    }

    void stop() {
        switch (state) {
            case STARTING, RUNNING -> {
                cancelTimer();
                long g = generation;
                become(ProgramState.STOPPING, "sending " + spec.stopSignal());
                send(spec.stopSignal());
                timer = sup.schedule(spec.stopTimeout(), () -> {
                    if (generation == g && state == ProgramState.STOPPING) {
                        LOG.warn("{}: still running {} ms after {}; sending SIGKILL", name, spec.stopTimeout().toMillis(),
                                spec.stopSignal());
                        send(Signal.SIGKILL);
                    }
                });
            }
            case BACKOFF -> {
                cancelTimer();
                generation++;
                become(ProgramState.STOPPED, "stop requested");
            }
            default -> {
                // STOPPED, already STOPPING, or EXITED/FATAL: nothing runs, and the final state
                // (with its reason) stays visible as in supervisord.
            }
        }
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
            if (child != null) {
                if (spec.signalGroup()) {
                    child.signalGroup(s);
                } else {
                    child.signal(s);
                }
            } else if (trackedPidfd != null) {
                Posix.pidfdSendSignal(trackedPidfd, s);
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
