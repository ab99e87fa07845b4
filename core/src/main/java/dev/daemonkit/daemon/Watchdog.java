package dev.daemonkit.daemon;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The program's side of the watchdog (sd_watchdog_enabled + WATCHDOG=1): when whoever started it
 * set {@code WATCHDOG_USEC} (and {@code WATCHDOG_PID} is this process, or unset), a thread sends
 * {@code WATCHDOG=1} to {@code NOTIFY_SOCKET} every half interval — but only while the health
 * check the application supplies passes. A hung or unhealthy program thus stops feeding the
 * watchdog and gets restarted by systemd (WatchdogSec=) or {@code daemonkit supervise --watchdog}.
 * A health check that throws counts as failing.
 */
public final class Watchdog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Watchdog.class);

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("daemonkit-watchdog").daemon(true).factory());
    private final String socket;
    private final BooleanSupplier healthy;
    private final Duration interval;
    private volatile boolean failing;

    Watchdog(String socket, Duration interval, BooleanSupplier healthy) {
        this.socket = socket;
        this.interval = interval;
        this.healthy = healthy;
        long period = Math.max(1, interval.toNanos() / 2);
        timer.scheduleAtFixedRate(this::tick, 0, period, TimeUnit.NANOSECONDS);
    }

    /**
     * Starts feeding the watchdog if one is asked for in the environment.
     *
     * @return empty when no watchdog is set (or it is meant for another process)
     */
    public static Optional<Watchdog> start(BooleanSupplier healthy) {
        Optional<Duration> interval = interval();
        Optional<String> socket = SdNotify.socket();
        if (interval.isEmpty() || socket.isEmpty()) {
            return Optional.empty();
        }
        LOG.info("watchdog: WATCHDOG=1 every {} ms while healthy", interval.get().toMillis() / 2);
        return Optional.of(new Watchdog(socket.get(), interval.get(), healthy));
    }

    /** WATCHDOG_USEC, if it is set, positive, and meant for this process (WATCHDOG_PID). */
    public static Optional<Duration> interval() {
        String usec = System.getenv("WATCHDOG_USEC");
        String pid = System.getenv("WATCHDOG_PID");
        try {
            if (usec == null || pid != null && Integer.parseInt(pid.trim()) != Posix.getpid()) {
                return Optional.empty();
            }
            long us = Long.parseLong(usec.trim());
            return us > 0 ? Optional.of(Duration.ofNanos(us * 1000)) : Optional.empty();
        } catch (NumberFormatException | ArithmeticException e) {
            return Optional.empty();
        }
    }

    /** The interval the watchdog expires after; pings go out every half of it. */
    public Duration timeout() {
        return interval;
    }

    private void tick() {
        boolean ok;
        try {
            ok = healthy.getAsBoolean();
        } catch (RuntimeException e) {
            LOG.warn("watchdog: health check threw {}", e.toString());
            ok = false;
        }
        if (!ok) {
            if (!failing) {
                LOG.warn("watchdog: health check failing; no WATCHDOG=1 until it passes again");
            }
            failing = true;
            return;
        }
        if (failing) {
            LOG.info("watchdog: health check passes again");
            failing = false;
        }
        try {
            SdNotify.sendTo(socket, "WATCHDOG=1");
        } catch (PosixException e) {
            LOG.debug("watchdog: {}", e.getMessage());
        }
    }

    /** Stops feeding (the watchdog will expire unless the program is stopping). */
    @Override
    public void close() {
        timer.shutdownNow();
    }
}
