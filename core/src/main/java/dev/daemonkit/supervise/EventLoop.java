package dev.daemonkit.supervise;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The supervisor's one event thread: exits, timers and requests run here one at a time, so no
 * state is ever touched by two threads. Nothing that runs here may block (sleep, wait for a
 * process or a lock held elsewhere): waits are timers, and slow work runs on threads of its own
 * that post their result back.
 */
final class EventLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);

    private final ScheduledThreadPoolExecutor exec = new ScheduledThreadPoolExecutor(1,
            Thread.ofPlatform().name("supervisor").daemon(true).factory());

    EventLoop() {
        // On close, pending timers (backoff, stop timeouts) are dropped, not waited for.
        exec.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        exec.setRemoveOnCancelPolicy(true);
    }

    /** Runs {@code r} on the loop, after the events queued before it; nothing once closed. */
    void post(Runnable r) {
        if (!exec.isShutdown()) {
            exec.execute(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.error("supervisor event failed", e);
                }
            });
        }
    }

    /** Runs {@code r} on the loop after {@code d}; null once closed. */
    ScheduledFuture<?> schedule(Duration d, Runnable r) {
        if (exec.isShutdown()) {
            return null;
        }
        return exec.schedule(() -> {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.error("supervisor timer failed", e);
            }
        }, d.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Runs {@code c} on the loop and waits for its result; never call it from the loop itself. */
    <T> T call(Callable<T> c) {
        try {
            if (exec.isTerminated()) {
                return c.call(); // closed: nothing else touches the state any more
            }
            return exec.submit(c).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Lets the queued events run, then stops the thread (waiting up to 10 s). */
    @Override
    public void close() {
        exec.shutdown();
        try {
            exec.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
