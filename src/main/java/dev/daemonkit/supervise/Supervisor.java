package dev.daemonkit.supervise;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.ProcessControl;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.process.Reaper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
 * Supervisor s = new Supervisor(List.of(ProgramSpec.builder("web", List.of("/usr/bin/myserver"))
 *         .restart(RestartPolicy.ALWAYS).build()), Supervisor.Mode.UNTIL_SHUTDOWN, false);
 * s.start();
 * int status = s.finished().join();
 * }</pre>
 *
 * <p>All state lives on one event thread: exits, timers and requests are queued there, so no
 * state is ever touched by two threads.
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
            Optional<WaitStatus> lastExit, int starts) {
    }

    private final List<ManagedProcess> processes = new ArrayList<>();
    private final List<RotatingLog> logs = new ArrayList<>();
    private final Mode mode;
    private final boolean subreaper;
    private final Reaper reaper;
    private final ScheduledExecutorService loop;
    private final CompletableFuture<Integer> finished = new CompletableFuture<>();
    private volatile boolean shuttingDown;
    private int orphansReaped;

    /**
     * @param subreaper become a child subreaper (PR_SET_CHILD_SUBREAPER) and reap every child,
     *                  including orphans of double-forking programs (incompatible with
     *                  ProcessBuilder in the same JVM)
     * @throws IOException when a log file cannot be opened
     */
    public Supervisor(List<ProgramSpec> specs, Mode mode, boolean subreaper) throws IOException {
        this.mode = mode;
        this.subreaper = subreaper;
        Map<Path, RotatingLog> byFile = new HashMap<>();
        try {
            for (ProgramSpec spec : specs) {
                for (int i = 0; i < spec.numprocs(); i++) {
                    String name = spec.numprocs() == 1 ? spec.name() : spec.name() + ":" + i;
                    RotatingLog out = log(byFile, spec.stdoutLog(), spec, i);
                    RotatingLog err = log(byFile, spec.stderrLog(), spec, i);
                    processes.add(new ManagedProcess(this, spec, name, out, err));
                }
            }
        } catch (IOException e) {
            closeLogs();
            throw e;
        }
        if (subreaper) {
            ProcessControl.setChildSubreaper(true);
            reaper = Reaper.ownAllChildren(st -> post(() -> {
                orphansReaped++;
                LOG.info("reaped orphan {}", describe(st));
            }));
        } else {
            reaper = Reaper.shared();
        }
        loop = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("supervisor").daemon(true).factory());
    }

    private RotatingLog log(Map<Path, RotatingLog> byFile, Path file, ProgramSpec spec, int copy) throws IOException {
        if (file == null) {
            return null;
        }
        // %(process_num)d as supervisord spells it, so copies can have their own files.
        Path p = Path.of(file.toString().replace("%(process_num)d", Integer.toString(copy))).toAbsolutePath();
        RotatingLog existing = byFile.get(p);
        if (existing != null) {
            return existing;
        }
        RotatingLog l = new RotatingLog(p, spec.logMaxBytes(), spec.logBackups());
        byFile.put(p, l);
        logs.add(l);
        return l;
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
                p.lastReason(), p.lastExit(), p.starts())).toList());
    }

    /** Orphans reaped in subreaper mode so far. */
    public int orphansReaped() {
        return call(() -> orphansReaped);
    }

    /** Starts the named program (or all copies of a numprocs group, or "all"); returns how many matched. */
    public int start(String name) {
        return each(name, ManagedProcess::startRequested);
    }

    /** Stops the named program(s) with their stop signal, SIGKILL after their timeout. */
    public int stop(String name) {
        return each(name, ManagedProcess::stop);
    }

    /** Stops the named program(s), then starts them again once they are down. */
    public int restart(String name) {
        List<ManagedProcess> ps = call(() -> matching(name));
        ps.forEach(p -> call(() -> {
            p.stop();
            return null;
        }));
        for (ManagedProcess p : ps) {
            waitFor(() -> call(() -> p.state() != ProgramState.STOPPING), p.spec.stopTimeout().plusSeconds(12));
            call(() -> {
                p.startRequested();
                return null;
            });
        }
        return ps.size();
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
        post(() -> {
            if (!shuttingDown) {
                shuttingDown = true;
                LOG.info("shutting down {} program(s)", processes.size());
                for (int i = processes.size() - 1; i >= 0; i--) {
                    processes.get(i).stop();
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
        return reaper;
    }

    /** Called on the loop after every transition: decides whether the supervisor is done. */
    void changed() {
        if (finished.isDone()) {
            return;
        }
        boolean allFinal = processes.stream().allMatch(p -> p.state().isFinal());
        if (!allFinal || !shuttingDown && mode == Mode.UNTIL_SHUTDOWN) {
            return;
        }
        int code = 0;
        for (ManagedProcess p : processes) {
            if (p.state() == ProgramState.FATAL) {
                LOG.error("program {} is FATAL: {}", p.name, p.lastReason());
                code = 1;
            }
        }
        // tini style: in single-program mode the supervisor's status is the program's. A
        // supervisord-style shutdown on request is a success unless something went FATAL.
        if (code == 0 && processes.size() == 1 && mode == Mode.UNTIL_ALL_DONE) {
            code = processes.get(0).lastExit().map(WaitStatus::shellExitCode).orElse(0);
        }
        finished.complete(code);
    }

    void post(Runnable r) {
        if (!loop.isShutdown()) {
            loop.execute(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.error("supervisor event failed", e);
                }
            });
        }
    }

    ScheduledFuture<?> schedule(Duration d, Runnable r) {
        return loop.schedule(() -> {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.error("supervisor timer failed", e);
            }
        }, d.toNanos(), TimeUnit.NANOSECONDS);
    }

    private <T> T call(java.util.concurrent.Callable<T> c) {
        try {
            if (loop.isTerminated()) {
                return c.call(); // closed: nothing else touches the state any more
            }
            return loop.submit(c).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
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

    /** "exited with status 3", "killed by SIGKILL". */
    static String describe(WaitStatus s) {
        return switch (s) {
            case WaitStatus.Exited e -> "pid " + e.pid() + " exited with status " + e.code();
            case WaitStatus.Signaled g -> g.signo() == 0 ? "exited" : "pid " + g.pid() + " killed by " + g.signalName()
                    + (g.coreDumped() ? " (core dumped)" : "");
            default -> s.toString();
        };
    }

    /** Reopens every log file (after logrotate moved them). */
    public void reopenLogs() {
        for (RotatingLog l : logs) {
            try {
                l.reopen();
            } catch (IOException e) {
                LOG.warn("cannot reopen {}: {}", l.file(), e.getMessage());
            }
        }
    }

    /** Shuts down (if not yet), waits for the programs to stop, closes logs and the event thread. */
    @Override
    public void close() {
        try {
            shutdown().get(5, TimeUnit.MINUTES);
        } catch (Exception e) {
            LOG.warn("shutdown did not finish: {}", e.toString());
        }
        loop.shutdown();
        try {
            loop.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeLogs();
        if (subreaper) {
            try {
                ProcessControl.setChildSubreaper(false);
            } catch (PosixException e) {
                LOG.debug("subreaper off: {}", e.getMessage());
            }
        }
    }

    private void closeLogs() {
        for (RotatingLog l : logs) {
            try {
                l.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }
}
