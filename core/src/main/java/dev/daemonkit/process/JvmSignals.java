package dev.daemonkit.process;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.SignalDisposition;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Catches signals in this JVM and hands them to Java code, through the JDK's own signal dispatch
 * ({@code sun.misc.Signal}, module jdk.unsupported): the JVM owns the native handlers and runs the
 * action on its signal-dispatch thread. Never install an FFM upcall with sigaction instead: it
 * would not be async-signal-safe. The one place in daemonkit that calls {@code sun.misc.Signal}.
 *
 * <pre>{@code
 * try (JvmSignals.Caught c = JvmSignals.handle(List.of(Signal.SIGTERM), WhenIgnored.LEAVE, s -> shutdown())) {
 *     ... // restored to what they were on close
 * }
 * }</pre>
 */
public final class JvmSignals {
    private static final Logger LOG = LoggerFactory.getLogger(JvmSignals.class);

    /** What to do with a signal whose disposition is SIG_IGN. */
    public enum WhenIgnored {
        /**
         * Catch it anyway: set it back to SIG_DFL first, because HotSpot silently installs no
         * handler for an ignored SIGHUP/SIGINT/SIGTERM (a daemon ignores SIGHUP, and its reload
         * handler must still run). The JVM's handler replaces SIG_DFL at once.
         */
        CATCH,
        /**
         * Leave it ignored, as whoever started this process asked (nohup ignores SIGHUP; a shell
         * starts background jobs with SIGINT and SIGQUIT ignored).
         */
        LEAVE
    }

    private JvmSignals() {
    }

    /**
     * Runs {@code action} whenever one of {@code signals} arrives, except those the VM reserves
     * (e.g. with -Xrs) and, with {@link WhenIgnored#LEAVE}, those that are ignored: see
     * {@link Caught#signals()}.
     *
     * @throws IllegalStateException when an ignored signal cannot be reset with {@link WhenIgnored#CATCH}
     */
    @SuppressWarnings("removal")
    public static Caught handle(Collection<Signal> signals, WhenIgnored whenIgnored, Consumer<Signal> action) {
        Map<Signal, sun.misc.SignalHandler> previous = new EnumMap<>(Signal.class);
        for (Signal s : signals) {
            if (isIgnored(s)) {
                if (whenIgnored == WhenIgnored.LEAVE) {
                    LOG.debug("{} is ignored (as this process was started): leaving it so", s);
                    continue;
                }
                try {
                    Posix.sigaction(s, SignalDisposition.DEFAULT);
                } catch (PosixException e) {
                    throw new IllegalStateException("cannot catch " + s + ": " + e.getMessage(), e);
                }
            }
            try {
                previous.put(s, sun.misc.Signal.handle(new sun.misc.Signal(s.shortName()), sig -> action.accept(s)));
            } catch (IllegalArgumentException e) {
                // Reserved by the VM (e.g. -Xrs, or SEGV/QUIT...): leave it alone.
                LOG.debug("cannot catch {}: {}", s, e.getMessage());
            }
        }
        return new Caught(previous);
    }

    private static boolean isIgnored(Signal s) {
        try {
            return Posix.signalDisposition(s).action() == SignalDisposition.Action.IGNORE;
        } catch (PosixException e) {
            return false;
        }
    }

    /** The signals now caught; {@link #close()} puts back the handlers they had before. */
    public static final class Caught implements AutoCloseable {
        private final Map<Signal, sun.misc.SignalHandler> previous;

        private Caught(Map<Signal, sun.misc.SignalHandler> previous) {
            this.previous = previous;
        }

        /** The signals whose action is installed. */
        public Set<Signal> signals() {
            return Set.copyOf(previous.keySet());
        }

        @Override
        @SuppressWarnings("removal")
        public void close() {
            previous.forEach((s, h) -> sun.misc.Signal.handle(new sun.misc.Signal(s.shortName()), h));
            previous.clear();
        }
    }
}
