package dev.daemonkit.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A pids cgroup of our own: the limit holds, commands start inside, nothing is left behind. */
class PidsSandboxTest {

    private static String threadCgroup() throws IOException {
        return Processes.read(Path.of("/proc/thread-self/cgroup"));
    }

    @Test
    void theLimitHoldsForTheEnteringThreadAndItComesBack() throws Exception {
        String why = dev.daemonkit.process.PidsSandbox.unavailableReason().orElse(null);
        assumeTrue(why == null, why);
        String before = threadCgroup();
        List<Integer> kids = new ArrayList<>();
        Path dir;
        try (PidsSandbox sb = PidsSandbox.create("test", 4)) {
            dir = sb.cgroup().path();
            assertTrue(Files.isDirectory(dir));
            assertEquals(4, sb.max());
            try (PidsSandbox.Membership m = sb.enter()) {
                assertTrue(threadCgroup().contains(sb.cgroup().name()), threadCgroup());
                long inside = sb.cgroup().current().orElseThrow();
                assertEquals(m.threadOnly() ? 1 : inside, inside, "v1: only this thread moved in");
                PosixException refused = null;
                for (int i = 0; i < 10 && refused == null; i++) {
                    try {
                        kids.add(Posix.forkExit(0));
                    } catch (PosixException e) {
                        refused = e;
                    }
                }
                assertTrue(refused != null, "the kernel never refused");
                assertEquals(Errno.EAGAIN, refused.errno());
                assertEquals(4 - inside, kids.size());
                assertEquals(1, sb.cgroup().refused());
            } finally {
                for (int pid : kids) {
                    assertEquals(new WaitStatus.Exited(pid, 0), Posix.waitpid(pid, 0));
                }
            }
            assertEquals(before, threadCgroup(), "back where it came from");
        }
        assertFalse(Files.exists(dir), "removed on close");
    }

    @Test
    void aWrappedCommandStartsInsideAndLeftoversAreKilled() throws Exception {
        String why = dev.daemonkit.process.PidsSandbox.unavailableReason().orElse(null);
        assumeTrue(why == null, why);
        Path dir;
        try (PidsSandbox sb = PidsSandbox.create("test", 10)) {
            dir = sb.cgroup().path();
            // The shell reports its cgroup, leaves a sleeper behind and exits.
            ChildProcess p = Spawn.of(sb.wrap(List.of("sh", "-c", "grep -E 'pids|^0::' /proc/self/cgroup; sleep 60 >/dev/null 2>&1 & exit 5")))
                    .stdout(Redirect.PIPE).start();
            String out = new String(p.stdout().readAllBytes());
            assertEquals(new WaitStatus.Exited(p.pid(), 5), p.waitFor());
            assertTrue(out.contains(sb.cgroup().name()), out);
            List<Integer> left = sb.cgroup().processes();
            assertEquals(1, left.size(), "the sleeper: " + left);
            assertTrue(sb.cgroup().contains(left.getFirst()));
            assertEquals(1, sb.killAll(Signal.SIGKILL));
            assertTrue(sb.awaitEmpty(Duration.ofSeconds(10)), "the orphaned sleeper was reaped by init");
        }
        assertFalse(Files.exists(dir));
        assertThrows(IllegalArgumentException.class, () -> PidsSandbox.create("x", 0));
    }

    @Test
    void aSandboxOfADeadCreatorIsRemovedByTheNextOne() throws Exception {
        String why = dev.daemonkit.process.PidsSandbox.unavailableReason().orElse(null);
        assumeTrue(why == null, why);
        PidsCgroup parent = PidsSandbox.writableParent();
        // pid 2^22 + 1 is above PID_MAX_LIMIT: it cannot exist.
        Path stale = parent.child(PidsSandbox.PREFIX + "4194305-zombies-1").path();
        Files.createDirectory(stale);
        try {
            try (PidsSandbox sb = PidsSandbox.create("test", 1)) {
                assertFalse(Files.exists(stale), "stale sandbox removed");
            }
        } finally {
            if (Files.exists(stale)) {
                Files.delete(stale);
            }
        }
    }
}
