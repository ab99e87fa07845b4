package dev.daemonkit.supervise;

import java.io.IOException;
import java.nio.channels.Channel;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Closes a channel when time is up. Unix-domain socket channels have no read timeout, but closing
 * one wakes a thread blocked on it (AsynchronousCloseException): that is the timeout.
 */
final class Deadline implements AutoCloseable {
    /**
     * One timer thread, only while a deadline is pending: cancelled deadlines are removed at once
     * and the idle thread ends after a second, so an idle supervisor keeps no thread for it.
     */
    private static final ScheduledExecutorService TIMER = timer();

    private static ScheduledExecutorService timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "control-deadline");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        t.setKeepAliveTime(1, TimeUnit.SECONDS);
        t.allowCoreThreadTimeOut(true);
        return t;
    }

    private final ScheduledFuture<?> closer;
    private volatile boolean expired;

    private Deadline(Channel ch, Duration after) {
        closer = TIMER.schedule(() -> {
            expired = true;
            try {
                ch.close();
            } catch (IOException e) {
                // closing is all we wanted
            }
        }, after.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Closes {@code ch} after {@code after} unless cancelled first. */
    static Deadline closing(Channel ch, Duration after) {
        return new Deadline(ch, after);
    }

    /** Whether the time ran out (and the channel was closed for it). */
    boolean expired() {
        return expired;
    }

    void cancel() {
        closer.cancel(false);
    }

    @Override
    public void close() {
        cancel();
    }
}
