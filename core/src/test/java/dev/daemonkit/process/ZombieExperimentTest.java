package dev.daemonkit.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The zombie experiment in this JVM (cgroup v1: only the calling thread enters the sandbox).
 * The SIGCHLD checks change a process-wide disposition, so they run in the CLI tests, in a JVM
 * of their own.
 */
class ZombieExperimentTest {

    private static List<ProcessInfo> ourZombies() {
        return ProcessTable.zombiesOf(Posix.getpid());
    }

    @Test
    void reachesExactlyItsLimitAndReapsEverything() throws Exception {
        String why = dev.daemonkit.process.PidsSandbox.unavailableReason().orElse(null);
        assumeTrue(why == null, why);
        String cgroupBefore = Processes.read(Path.of("/proc/thread-self/cgroup"));
        ZombieReport r = ZombieExperiment.of(40).curvePoints(4).run();
        assertEquals(40, r.zombies(), r.describe().toString());
        assertTrue(r.exact() && r.limitReached(), r.describe().toString());
        assertEquals(40, r.fence().room());
        assertEquals(r.fence().max(), r.chargedAtLimit());
        assertEquals("EAGAIN", r.refusal().errno());
        assertTrue(r.refusal().limit().startsWith("pids.max " + r.fence().max()), r.refusal().limit());
        assertEquals(40, r.reaped());
        assertEquals(0, r.zombiesLeft());
        assertEquals(4, r.curve().size());
        assertEquals(40, r.curve().stream().mapToInt(ZombieReport.CurvePoint::count).sum());
        assertTrue(r.curve().stream().allMatch(p -> p.meanUs() > 0 && p.maxUs() >= p.p50Us()));
        assertFalse(Files.exists(Path.of(r.fence().where())), "the cgroup is removed");
        assertEquals(cgroupBefore, Processes.read(Path.of("/proc/thread-self/cgroup")));
        assertEquals(List.of(), ourZombies());
    }

    @Test
    void anInterruptStopsItAfterReapingEverything() throws Exception {
        String why = dev.daemonkit.process.PidsSandbox.unavailableReason().orElse(null);
        assumeTrue(why == null, why);
        String cgroupBefore = Processes.read(Path.of("/proc/thread-self/cgroup"));
        Thread.currentThread().interrupt();
        try {
            assertThrows(InterruptedException.class, () -> ZombieExperiment.of(200).run());
        } finally {
            Thread.interrupted();
        }
        assertEquals(List.of(), ourZombies());
        assertEquals(cgroupBefore, Processes.read(Path.of("/proc/thread-self/cgroup")));
        try (var dirs = Files.list(PidsSandbox.writableParent().path())) {
            assertEquals(List.of(), dirs.filter(d -> d.getFileName().toString()
                    .startsWith(PidsSandbox.PREFIX + Posix.getpid() + "-")).toList(), "no sandbox of ours is left");
        }
    }

    @Test
    void refusesMoreThanTheMachineCanSpare() {
        PidLimits l = PidLimits.read();
        int safe = ZombieExperiment.safeMaximum(l);
        assertTrue(safe <= ZombieExperiment.HARD_CAP);
        assertTrue(safe <= l.pidMax() - 1 - l.tasksNow() - ZombieExperiment.machineReserve(l), safe + " " + l);
        // Well above: the tasks on the machine change between here and run()'s own reading.
        int tooMany = Math.min(ZombieExperiment.HARD_CAP + 1, safe + 2000);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ZombieExperiment.of(tooMany).run());
        assertTrue(e.getMessage().contains("kept free for the rest of the machine"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ZombieExperiment.of(0).run());
    }
}
