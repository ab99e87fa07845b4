package dev.daemonkit.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.testkit.Parallel;
import dev.daemonkit.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The shared reaper hands new children to its thread only after a grace period (their waiters
 * usually reap them first): children nobody waits for must still be reaped, none twice, and no
 * pidfd may leak either way.
 */
class ReaperTest {

    private static long openFds() throws Exception {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    private static Spawn quietTrue() {
        return Spawn.of("/bin/true").stdin(Redirect.NULL).stdout(Redirect.NULL).stderr(Redirect.NULL);
    }

    @Test
    void aChildNobodyWaitsForIsStillReaped() throws Exception {
        ChildProcess c = quietTrue().start();
        int pid = c.pid();
        c.close(); // no waitFor, onExit or poll: only the reaper thread can collect it (isDone() just looks)
        assertTrue(Processes.eventually(Duration.ofSeconds(10),
                () -> c.isDone() && ProcessTable.zombiesOf(Posix.getpid()).stream().noneMatch(p -> p.pid() == pid)),
                "the reaper collected pid " + pid);
        assertEquals(new WaitStatus.Exited(pid, 0), c.poll().orElseThrow());
        assertTrue(c.pidfd().isEmpty(), "its pidfd is closed");
    }

    @Test
    void waitedAndUnwaitedChildrenMixedLeaveNoZombieAndNoFd() throws Exception {
        long fdsBefore = openFds();
        List<ChildProcess> unwaited = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            ChildProcess c = quietTrue().start();
            if (i % 2 == 0) {
                assertEquals(new WaitStatus.Exited(c.pid(), 0), c.waitFor());
            } else {
                unwaited.add(c);
            }
            c.close();
        }
        Set<Integer> pids = unwaited.stream().map(ChildProcess::pid).collect(Collectors.toSet());
        assertTrue(Processes.eventually(Duration.ofSeconds(10), () -> unwaited.stream().allMatch(ChildProcess::isDone)),
                "every unwaited child reaped");
        for (ChildProcess c : unwaited) {
            assertEquals(new WaitStatus.Exited(c.pid(), 0), c.onExit().get());
        }
        assertTrue(ProcessTable.zombiesOf(Posix.getpid()).stream().noneMatch(p -> pids.contains(p.pid())), "no zombie");
        assertTrue(Processes.eventually(Duration.ofSeconds(5), () -> {
            try {
                return openFds() <= fdsBefore;
            } catch (Exception e) {
                return false;
            }
        }), "every pidfd closed");
    }

    @Test
    void concurrentSpawnersEachReapTheirOwnChildren() throws Exception {
        // Spawns from several threads run in parallel (a shared lock, not a mutex): each thread
        // must still get exactly its own children's statuses.
        List<Integer> codes = Parallel.run(4, t -> {
            for (int i = 0; i < 50; i++) {
                try (ChildProcess c = Spawn.of("/bin/sh", "-c", "exit " + (20 + t)).stdin(Redirect.NULL).start()) {
                    assertEquals(new WaitStatus.Exited(c.pid(), 20 + t), c.waitFor());
                }
            }
            return 20 + t;
        });
        assertEquals(List.of(20, 21, 22, 23), codes);
        assertTrue(ProcessTable.zombiesOf(Posix.getpid()).isEmpty(), "no zombie");
    }

    @Test
    void onExitOfAChildStillInTheGracePeriodCompletes() throws Exception {
        // onExit() must not wait for the grace period to pass before the child is watched; the
        // result must arrive for a child that exits long after it was asked for, too.
        try (ChildProcess c = Spawn.of("/bin/sh", "-c", "sleep 0.3; exit 4").start()) {
            WaitStatus s = c.onExit().get(10, TimeUnit.SECONDS);
            assertEquals(new WaitStatus.Exited(c.pid(), 4), s);
        }
        try (ChildProcess c = Spawn.of("/bin/sh", "-c", "exit 6").start()) {
            assertEquals(new WaitStatus.Exited(c.pid(), 6), c.waitFor(Duration.ofSeconds(10)).orElseThrow());
        }
    }
}
