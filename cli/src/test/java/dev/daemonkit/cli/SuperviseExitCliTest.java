package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.daemonkit.testkit.Cli;
import dev.daemonkit.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The supervise fixes of issue 17: one-shot exits, PID-1 reaping, orphans ended on exit. */
class SuperviseExitCliTest {
    @TempDir
    Path dir;

    private final List<Long> started = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        started.forEach(Processes::killAndWait);
    }

    @Test
    void withRestartNeverAQuickExitIsFinalAndItsStatusPassesThrough() throws Exception {
        Cli.Result ok = Cli.run("supervise", "--restart", "never", "--", "true");
        assertEquals(0, ok.exitCode(), ok.all());
        Cli.Result bad = Cli.run("supervise", "--restart", "never", "--", "false");
        assertEquals(1, bad.exitCode(), bad.all());
        Cli.Result killed = Cli.run("supervise", "--restart", "never", "--", "sh", "-c", "kill -TERM $$");
        assertEquals(143, killed.exitCode(), killed.all());
        for (Cli.Result r : List.of(ok, bad, killed)) {
            assertFalse(r.stderr().contains("BACKOFF") || r.stderr().contains("FATAL"), "retried: " + r.stderr());
        }
        // on-failure (the default) and an expected code: done, not a failed start.
        Cli.Result dflt = Cli.run("supervise", "--", "true");
        assertEquals(0, dflt.exitCode(), dflt.all());
        assertFalse(dflt.stderr().contains("BACKOFF"), dflt.stderr());
    }

    @Test
    void asPid1OrphansAreReapedWithoutSubreaper() throws Exception {
        Process probe = new ProcessBuilder("unshare", "--pid", "--fork", "--mount-proc", "true").redirectErrorStream(true).start();
        probe.getInputStream().readAllBytes();
        assumeTrue(probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0,
                "unshare --pid --fork --mount-proc is not available here (needs root / user namespaces)");
        List<String> cmd = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--mount-proc"));
        cmd.addAll(Cli.command("supervise", "--restart", "never", "--", "sh", "-c",
                "for i in 1 2 3 4 5; do (sleep 0.2 &); done; sleep 2; "
                        + "echo zombies=$(grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l); exit 4"));
        Cli.Result r = Cli.exec(new ProcessBuilder(cmd), Duration.ofSeconds(60));
        assertEquals(4, r.exitCode(), r.all());
        assertTrue(r.stdout().contains("zombies=0"), r.all());
        assertEquals(5, r.stderr().split("reaped orphan", -1).length - 1, r.stderr());
    }

    @Test
    void orphansStillRunningAreTerminatedWhenTheSupervisorExits() throws Exception {
        Path orphan = dir.resolve("orphan");
        Cli.Result r = Cli.run("supervise", "--subreaper", "--restart", "never", "--", "sh", "-c",
                "(sleep 300 & echo $! > " + orphan + "); sleep 1.5; exit 0");
        long pid = Long.parseLong(Files.readString(orphan).trim());
        started.add(pid);
        assertEquals(0, r.exitCode(), r.all());
        assertTrue(Processes.waitGone(pid, Duration.ofSeconds(5)), "the orphan outlived the supervisor");
        assertTrue(r.stderr().contains("terminated 1 orphan(s) still running"), r.stderr());
    }
}
