package dev.daemonkit.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.testkit.Processes;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Looks at real process trees: asleep, busy, and a parent waiting for a busy child. */
class ProcessActivityTest {

    /**
     * Kills the shell's children (it reaps them and exits: no orphan is left for init), then
     * the shell if it is still there, and reaps it. The children are found by a scan of all of
     * /proc, not by the code under test.
     */
    private static void endTree(ChildProcess shell) throws Exception {
        Set<Integer> children = Descendants.live(shell.pid()).keySet();
        for (int pid : children) {
            Posix.kill(pid, Signal.SIGKILL);
        }
        if (children.isEmpty() || shell.waitFor(Duration.ofSeconds(5)).isEmpty()) {
            shell.signal(Signal.SIGKILL);
            shell.waitFor();
        }
    }

    /** {@code looks} looks 5 ms apart, none still since the one before; CPU time only grows. */
    private static void assertNeverStill(int root, int looks) throws InterruptedException {
        ProcessActivity last = ProcessActivity.of(root);
        for (int i = 0; i < looks; i++) {
            Thread.sleep(5);
            ProcessActivity now = ProcessActivity.of(root);
            assertFalse(now.stillSince(last), last + " then " + now);
            assertTrue(now.cpuNanos() >= last.cpuNanos() && now.pids().contains(root), last + " then " + now);
            last = now;
        }
    }

    @Test
    void aSleepingProgramIsSeenStill() throws Exception {
        ChildProcess c = Spawn.of("sleep", "30").start();
        try {
            assertTrue(Processes.eventually(Duration.ofSeconds(5), () -> ProcessActivity.of(c.pid()).allAsleep()));
            ProcessActivity first = ProcessActivity.of(c.pid());
            Thread.sleep(20);
            ProcessActivity second = ProcessActivity.of(c.pid());
            assertEquals(Set.of(c.pid()), second.pids());
            assertTrue(second.stillSince(first), first + " then " + second);
        } finally {
            endTree(c);
        }
    }

    @Test
    void aBusyProgramNeverIs() throws Exception {
        ChildProcess c = Spawn.of("sh", "-c", "while :; do :; done").start();
        try {
            assertNeverStill(c.pid(), 20);
        } finally {
            endTree(c);
        }
    }

    @Test
    void aParentWaitingForABusyChildIsNotStill() throws Exception {
        // The shell is asleep in wait4; only its child (found among the pids made since) runs.
        ChildProcess c = Spawn.of("sh", "-c", "sh -c 'while :; do :; done'; exit 0").start();
        try {
            assertTrue(Processes.eventually(Duration.ofSeconds(5), () -> ProcessActivity.of(c.pid()).pids().size() == 2));
            assertNeverStill(c.pid(), 10);
        } finally {
            endTree(c);
        }
    }

    @Test
    void theTreeFoundFromRecentPidsIsTheTreeFoundFromAllOfProc() throws Exception {
        ChildProcess c = Spawn.of("sh", "-c", "sleep 30 & sleep 30 & wait").start();
        try {
            assertTrue(Processes.eventually(Duration.ofSeconds(5), () -> ProcessActivity.tree(c.pid()).size() == 3));
            Set<Integer> all = new java.util.HashSet<>(Descendants.live(c.pid()).keySet());
            all.add(c.pid());
            assertEquals(all, ProcessActivity.tree(c.pid()));
        } finally {
            endTree(c);
        }
    }
}
