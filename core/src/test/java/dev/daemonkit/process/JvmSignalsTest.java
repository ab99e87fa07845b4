package dev.daemonkit.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.SignalDisposition;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The one helper over the JDK's signal dispatch. SIGWINCH is used because its default action is
 * to ignore it, so a mistake here cannot end the test JVM, and HotSpot does not use it.
 */
class JvmSignalsTest {
    @Test
    void anIgnoredSignalIsLeftAloneOrCaughtAsAskedAndRestoredOnClose() throws Exception {
        SignalDisposition original = Posix.signalDisposition(Signal.SIGWINCH);
        try {
            Posix.sigaction(Signal.SIGWINCH, SignalDisposition.IGNORE);
            CountDownLatch got = new CountDownLatch(1);
            try (JvmSignals.Caught left = JvmSignals.handle(List.of(Signal.SIGWINCH), JvmSignals.WhenIgnored.LEAVE,
                    s -> got.countDown())) {
                assertEquals(Set.of(), left.signals(), "nohup-style: an ignored signal stays ignored");
                assertEquals(SignalDisposition.Action.IGNORE, Posix.signalDisposition(Signal.SIGWINCH).action());
            }
            try (JvmSignals.Caught caught = JvmSignals.handle(List.of(Signal.SIGWINCH), JvmSignals.WhenIgnored.CATCH,
                    s -> got.countDown())) {
                assertEquals(Set.of(Signal.SIGWINCH), caught.signals());
                assertEquals(SignalDisposition.Action.HANDLER, Posix.signalDisposition(Signal.SIGWINCH).action(),
                        "the JVM's handler is installed");
                Posix.kill(Posix.getpid(), Signal.SIGWINCH);
                assertTrue(got.await(10, TimeUnit.SECONDS), "the action ran");
            }
            assertEquals(SignalDisposition.Action.DEFAULT, Posix.signalDisposition(Signal.SIGWINCH).action(),
                    "close put back what was there before the JVM's handler");
        } finally {
            Posix.sigaction(Signal.SIGWINCH, original);
        }
    }

    @Test
    void aSignalTheVmReservesIsReportedNotCaught() {
        // HotSpot keeps SIGSEGV for itself; the JDK refuses a handler for it.
        try (JvmSignals.Caught c = JvmSignals.handle(List.of(Signal.SIGSEGV), JvmSignals.WhenIgnored.LEAVE, s -> {
        })) {
            assertEquals(Set.of(), c.signals());
        }
    }
}
