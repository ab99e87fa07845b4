package dev.daemonkit.cli;

import dev.daemonkit.posix.Signal;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Catches signals in this JVM and hands them to a callback, through the JDK's own signal
 * dispatch (sun.misc.Signal): the JVM owns the native handlers, so we never install one with
 * sigaction — an FFM upcall in a signal handler would not be async-signal-safe.
 */
final class SignalForwarding {
    private static final Logger LOG = LoggerFactory.getLogger(SignalForwarding.class);

    private SignalForwarding() {
    }

    @SuppressWarnings("removal")
    static void forward(List<Signal> signals, Consumer<Signal> target) {
        for (Signal s : signals) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(s.name().substring(3)), sig -> target.accept(s));
            } catch (IllegalArgumentException e) {
                // Used by the VM (e.g. with -Xrs) or ignored at start (nohup): leave it alone.
                LOG.debug("cannot forward {}: {}", s, e.getMessage());
            }
        }
    }
}
