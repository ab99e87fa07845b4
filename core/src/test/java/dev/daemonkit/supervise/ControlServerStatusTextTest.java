package dev.daemonkit.supervise;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The lines `daemonkit ctl status` prints: fixed columns, as supervisorctl's. */
class ControlServerStatusTextTest {
    @Test
    void oneLinePerProgramInColumnsThatLongValuesWidenButNeverCut() {
        Instant now = Instant.now();
        String text = ControlServer.statusText(List.of(
                new Supervisor.ProcessStatus("web", ProgramState.RUNNING, 4242, now, "", Optional.empty(), 1,
                        Optional.of("ready")),
                new Supervisor.ProcessStatus("a-program-with-a-long-name", ProgramState.BACKOFF, 0, now,
                        "pid 7 exited with status 3 (unexpected)", Optional.empty(), 2, Optional.empty())));
        assertEquals("web                  RUNNING   pid 4242   for 0s       [ready]\n"
                + "a-program-with-a-long-name BACKOFF   -          for 0s       pid 7 exited with status 3 (unexpected)\n",
                text);
        // The same as the String.format("%-20s %-9s %-10s %-12s %s%n", ...) it replaces.
        assertEquals(String.format("%-20s %-9s %-10s %-12s %s%n", "web", "RUNNING", "pid 4242", "for 0s", "[ready]"),
                text.lines().findFirst().orElseThrow() + "\n");
        // Nothing in the last column: no trailing spaces either (newcomer audit).
        String bare = ControlServer.statusText(List.of(new Supervisor.ProcessStatus("sleep", ProgramState.RUNNING, 42, now,
                "", Optional.empty(), 1, Optional.empty())));
        assertEquals("sleep                RUNNING   pid 42     for 0s\n", bare);
    }
}
