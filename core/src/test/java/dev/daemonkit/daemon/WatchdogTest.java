package dev.daemonkit.daemon;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.notify.NotifySocket;
import dev.daemonkit.posix.Posix;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Daemon.watchdog's pinger: WATCHDOG=1 at half the interval, only while the health check passes. */
class WatchdogTest {
    @Test
    void pingsOnlyWhileHealthy() throws Exception {
        AtomicBoolean healthy = new AtomicBoolean(true);
        int self = Posix.getpid();
        try (NotifySocket s = NotifySocket.open(); Watchdog w = new Watchdog(s.name(), Duration.ofMillis(200), healthy::get)) {
            assertTrue(ping(s, Duration.ofSeconds(5)), "pinged while healthy");
            healthy.set(false);
            while (ping(s, Duration.ofMillis(300))) {
                // pings sent before the check failed
            }
            assertTrue(!ping(s, Duration.ofMillis(600)), "no ping while the health check fails");
            healthy.set(true);
            assertTrue(ping(s, Duration.ofSeconds(5)), "pinging again once it passes");
        }
    }

    private static boolean ping(NotifySocket s, Duration wait) throws Exception {
        Optional<NotifySocket.Received> r = s.receive(wait, pid -> pid == Posix.getpid());
        return r.isPresent() && r.get().message().watchdogPing();
    }
}
