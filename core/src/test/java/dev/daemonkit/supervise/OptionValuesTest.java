package dev.daemonkit.supervise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.posix.Signal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The one value syntax of every option: what it accepts, what it refuses and how it says so. */
class OptionValuesTest {
    @Test
    void durationsTakeUnitsUpToHoursAndABareNumberIsSeconds() {
        assertEquals(Duration.ofMillis(500), OptionValues.duration("500ms"));
        assertEquals(Duration.ofSeconds(10), OptionValues.duration("10s"));
        assertEquals(Duration.ofMinutes(2), OptionValues.duration("2m"));
        assertEquals(Duration.ofHours(1), OptionValues.duration("1h"));
        assertEquals(Duration.ofHours(1), OptionValues.duration(" 1H "));
        assertEquals(Duration.ofMillis(1500), OptionValues.duration("1.5s"));
        assertEquals(Duration.ofMillis(3500), OptionValues.duration("3.5"));
        assertEquals(Duration.ofSeconds(7), OptionValues.duration("7"));
        assertEquals(Duration.ZERO, OptionValues.duration("0"));
        assertEquals(Duration.ofNanos(1_000_000), OptionValues.duration("1.0000009ms")); // below 1 ns: cut off
        assertEquals(Duration.ofNanos(Long.MAX_VALUE / 1_000_000 * 1_000_000),
                OptionValues.duration(Long.MAX_VALUE / 1_000_000 + "ms"));
    }

    @Test
    void badDurationsAreRefusedQuotingTheText() {
        assertMessage(() -> OptionValues.duration("-1s"), "must not be negative: -1s");
        assertMessage(() -> OptionValues.duration("soon"), "needs a duration like 500ms, 10s, 2m or 1h");
        for (String bad : List.of("", "1d", "s", "1.s", "NaN", "Infinity", "1e3", "1 2s")) {
            assertThrows(IllegalArgumentException.class, () -> OptionValues.duration(bad), bad);
        }
        assertMessage(() -> OptionValues.duration("99999999999999h"), "too long");
        assertMessage(() -> OptionValues.duration("99999999999999999999999s"), "too long"); // beyond a long
        assertMessage(() -> OptionValues.duration("99999999999999.5h"), "too long");
    }

    @Test
    void durationsAreWrittenBackExactly() {
        for (String d : List.of("0s", "500ms", "1500ms", "10s", "2m", "90s", "1h", "25h")) {
            assertEquals(d, OptionValues.format(OptionValues.duration(d)));
        }
    }

    @Test
    void booleansAreStrict() {
        for (String t : List.of("true", "TRUE", "yes", "Yes", "on", "1", " true ")) {
            assertTrue(OptionValues.bool(t), t);
        }
        for (String f : List.of("false", "no", "off", "0", "OFF")) {
            assertFalse(OptionValues.bool(f), f);
        }
        for (String bad : List.of("", "maybe", "tru", "2", "y", "enabled")) {
            assertMessage(() -> OptionValues.bool(bad), "needs true or false");
        }
    }

    @Test
    void exitCodesAreAListOfStatuses() {
        assertEquals(Set.of(0), OptionValues.exitCodes("0"));
        assertEquals(Set.of(0, 2, 255), OptionValues.exitCodes("0, 2,255"));
        assertEquals("0,2", OptionValues.formatExitCodes(Set.of(2, 0)));
        for (String bad : List.of("", "0,", "256", "-1", "a", "0;2")) {
            assertMessage(() -> OptionValues.exitCodes(bad), "needs exit codes 0..255");
        }
    }

    @Test
    void sizesArePowersOf1024() {
        assertEquals(0, OptionValues.size("0"));
        assertEquals(4096, OptionValues.size("4096"));
        assertEquals(512 * 1024, OptionValues.size("512KB"));
        assertEquals(10L << 20, OptionValues.size("10mb"));
        assertEquals(1L << 30, OptionValues.size("1GB"));
        assertEquals(2048, OptionValues.size("2k"));
        assertEquals(100, OptionValues.size("100B"));
        assertEquals("10MB", OptionValues.formatSize(10L << 20));
        assertEquals("1000", OptionValues.formatSize(1000));
        for (String bad : List.of("", "-1", "10XB", "1.5MB", "MB")) {
            assertMessage(() -> OptionValues.size(bad), "needs a size like 0, 512KB, 10MB or 1GB");
        }
        assertMessage(() -> OptionValues.size("99999999999999999GB"), "too large");
    }

    @Test
    void signalsAndSignalMaps() {
        assertEquals(Signal.SIGTERM, OptionValues.signal("TERM"));
        assertEquals(Signal.SIGTERM, OptionValues.signal("sigterm"));
        assertEquals(Signal.SIGTERM, OptionValues.signal("15"));
        assertMessage(() -> OptionValues.signal("NOPE"), "unknown signal: NOPE");
        Map<Signal, Signal> m = OptionValues.signalMap("TERM:QUIT, HUP:USR1");
        assertEquals(Map.of(Signal.SIGTERM, Signal.SIGQUIT, Signal.SIGHUP, Signal.SIGUSR1), m);
        assertEquals(m, OptionValues.signalMap(OptionValues.formatSignalMap(m)));
        for (String bad : List.of("", "TERM", "TERM:QUIT:HUP", "TERM:QUIT,")) {
            assertThrows(IllegalArgumentException.class, () -> OptionValues.signalMap(bad), bad);
        }
    }

    @Test
    void environmentKeepsQuotedCommas() {
        Map<String, String> env = OptionValues.environment("A=\"1,2\",B=x, C=");
        assertEquals(Map.of("A", "1,2", "B", "x", "C", ""), env);
        assertEquals(env, OptionValues.environment(OptionValues.formatEnvironment(env)));
        assertMessage(() -> OptionValues.environment("novalue"), "needs KEY=value pairs");
    }

    @Test
    void restartPoliciesWithSupervisordsWords() {
        assertEquals(RestartPolicy.ON_FAILURE, OptionValues.restart("unexpected"));
        assertEquals(RestartPolicy.ALWAYS, OptionValues.restart("true"));
        assertEquals(RestartPolicy.NEVER, OptionValues.restart("false"));
        assertEquals("on-failure", OptionValues.format(RestartPolicy.ON_FAILURE));
        assertMessage(() -> OptionValues.restart("sometimes"), "always, on-failure or never");
    }

    @Test
    void specsAreValuesWithABuilderThatValidates() {
        ProgramSpec a = ProgramSpec.builder("a", List.of("/bin/true")).stdoutLog(Path.of("/tmp/x.log"))
                .redirectStderr(true).env("K", "v").mapSignal(Signal.SIGTERM, Signal.SIGQUIT).build();
        assertEquals(a, a.toBuilder().build());
        assertEquals(a.hashCode(), a.toBuilder().build().hashCode());
        assertEquals(Path.of("/tmp/x.log"), a.stderrLog(), "stderr goes where stdout goes");
        assertNotEquals(a, a.toBuilder().startRetries(9).build());
        ProgramSpec.Builder b = ProgramSpec.builder("b", List.of("x"));
        assertThrows(IllegalArgumentException.class, () -> b.startSeconds(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> b.numprocs(0));
        assertThrows(IllegalArgumentException.class, () -> b.startRetries(-1));
        assertThrows(IllegalArgumentException.class, () -> ProgramSpec.builder("c", List.of()));
        assertMessage(() -> ProgramSpec.builder("d", List.of("x")).stderrLog(Path.of("/e")).redirectStderr(true).build(),
                "exclude each other");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
