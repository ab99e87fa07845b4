package dev.daemonkit.supervise;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Looks for the daemon a program that daemonized itself left behind: its pidfile is read every
 * {@link #POLL} by a timer on the supervisor's event thread (which never sleeps) until it names a
 * live process of ours or the wait is over. Each outcome is reported once, on the event thread.
 */
final class PidfileSearch {
    private static final Duration POLL = Duration.ofMillis(50);

    private final Path pidfile;
    private final Duration wait;
    private final Instant deadline;
    private final Supervisor sup;
    private final BooleanSupplier stillWanted;
    private final Consumer<TrackedDaemon> found;
    private final Consumer<String> notFound;

    /**
     * @param stillWanted false once the run the search belongs to is over: polling stops silently
     * @param notFound    told why nothing was found once {@code wait} has passed
     */
    PidfileSearch(Path pidfile, Duration wait, Supervisor sup, BooleanSupplier stillWanted,
            Consumer<TrackedDaemon> found, Consumer<String> notFound) {
        this.pidfile = pidfile;
        this.wait = wait;
        this.deadline = Instant.now().plus(wait);
        this.sup = sup;
        this.stillWanted = stillWanted;
        this.found = found;
        this.notFound = notFound;
    }

    void poll() {
        if (!stillWanted.getAsBoolean()) {
            return;
        }
        switch (TrackedDaemon.find(pidfile)) {
            case TrackedDaemon.Found f -> found.accept(f.daemon());
            case TrackedDaemon.NotYet n -> {
                if (Instant.now().isBefore(deadline)) {
                    sup.schedule(POLL, this::poll);
                } else {
                    notFound.accept("exited 0 but its pidfile named no live process within " + wait.toMillis()
                            + " ms: " + n.why());
                }
            }
        }
    }
}
