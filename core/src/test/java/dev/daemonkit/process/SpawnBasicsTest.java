package dev.daemonkit.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.WaitStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** posix_spawn through the builder: the foundation's smoke tests (issue 4 has the full set). */
class SpawnBasicsTest {

    private static long openFds() throws Exception {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    @Test
    void binTrueExitsZero() throws Exception {
        try (ChildProcess p = Spawn.of("/bin/true").start()) {
            assertEquals(new WaitStatus.Exited(p.pid(), 0), p.waitFor());
        }
    }

    @Test
    void exitCodeAndPipes() throws Exception {
        try (ChildProcess p = Spawn.of("sh", "-c", "echo out; echo err >&2; exit 3")
                .stdout(Redirect.PIPE).stderr(Redirect.PIPE).start()) {
            assertEquals("out\n", new String(p.stdout().readAllBytes()));
            assertEquals("err\n", new String(p.stderr().readAllBytes()));
            assertEquals(new WaitStatus.Exited(p.pid(), 3), p.waitFor());
        }
    }

    @Test
    void missingProgramIsEnoentAndLeavesNothingBehind() throws Exception {
        long before = openFds();
        int liveBefore = Reaper.liveChildren();
        PosixException e = assertThrows(PosixException.class,
                () -> Spawn.of("/nonexistent/daemonkit-no-such-program").stdout(Redirect.PIPE).start());
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("/nonexistent/daemonkit-no-such-program"), e.getMessage());
        PosixException inPath = assertThrows(PosixException.class,
                () -> Spawn.of("daemonkit-no-such-program-xyz").stdin(Redirect.PIPE).start());
        assertEquals(Errno.ENOENT, inPath.errno());
        assertTrue(inPath.getMessage().contains("daemonkit-no-such-program-xyz"));
        // Not more than before: a leak adds fds; an earlier test's pidfd closing meanwhile removes one.
        long after = openFds();
        assertTrue(after <= before, "no pipe leaked: " + before + " fds before, " + after + " after");
        assertEquals(liveBefore, Reaper.liveChildren(), "no child registered");
    }

    @Test
    void onExitCompletesWithoutAnyoneWaiting() throws Exception {
        try (ChildProcess p = Spawn.of("/bin/sh", "-c", "exit 5").start()) {
            WaitStatus s = p.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(new WaitStatus.Exited(p.pid(), 5), s);
            assertEquals(s, p.waitFor(Duration.ofSeconds(1)).orElseThrow());
            assertTrue(p.pidfd().isEmpty(), "pidfd closed once the status is known");
        }
    }
}
