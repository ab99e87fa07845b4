package dev.daemonkit.supervise;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.daemonkit.posix.Signal;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link ContainerInit}'s exit status is the command's: 0..255 as they are, 128+N for signal N. */
class ContainerInitTest {

    private static int run(String script) throws Exception {
        return ContainerInit.builder(List.of("sh", "-c", script)).build().run();
    }

    @Test
    void everyExitStatusPassesThrough() throws Exception {
        for (int code = 0; code <= 255; code++) {
            assertEquals(code, run("exit " + code), "exit " + code);
        }
    }

    @Test
    void aCommandKilledBySignalNGives128PlusN() throws Exception {
        // Every signal whose default action ends the process (no core files: ulimit -c 0).
        Set<Signal> stopOrIgnore = EnumSet.of(Signal.SIGCHLD, Signal.SIGCONT, Signal.SIGSTOP, Signal.SIGTSTP,
                Signal.SIGTTIN, Signal.SIGTTOU, Signal.SIGURG, Signal.SIGWINCH);
        for (Signal s : Signal.values()) {
            if (!stopOrIgnore.contains(s)) {
                assertEquals(128 + s.number(), run("ulimit -c 0; kill -" + s.number() + " $$"), s.name());
            }
        }
    }
}
