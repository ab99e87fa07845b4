package dev.daemonkit.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.ProcessControl;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** /proc readings against what the kernel says through syscalls. */
class ProcessTableTest {
    @Test
    void selfMatchesTheSyscalls() throws Exception {
        ProcessInfo me = ProcessTable.of(Posix.getpid()).orElseThrow();
        assertEquals(Posix.getppid(), me.ppid());
        assertEquals(Posix.getsid(0), me.sid());
        assertEquals(Posix.getpgid(0), me.pgid());
        assertEquals(Posix.getuid(), me.uid());
        assertTrue(me.startTime().isBefore(Instant.now().plusSeconds(1)));
        assertTrue(me.startTime().isAfter(ProcessTable.bootTime().minusSeconds(1)));
        assertTrue(me.commandText().contains("java"), me.commandText());
        assertTrue(ProcessTable.of(Integer.MAX_VALUE).isEmpty());
    }

    @Test
    void childrenAndZombiesOfThisProcess() throws Exception {
        int me = Posix.getpid();
        try (ChildProcess c = Spawn.of("sleep", "10").start()) {
            assertTrue(ProcessTable.children(me).stream().anyMatch(p -> p.pid() == c.pid() && p.comm().equals("sleep")));
            c.signal(Signal.SIGKILL);
            c.waitFor();
        }
        int z = Posix.forkExit(4);
        try {
            assertTrue(Processes.eventually(Duration.ofSeconds(5),
                    () -> ProcessTable.zombiesOf(me).stream().anyMatch(p -> p.pid() == z)));
            ProcessTable.Zombie zombie = ProcessTable.zombies().stream().filter(x -> x.zombie().pid() == z).findFirst().orElseThrow();
            assertEquals(me, zombie.parent().orElseThrow().pid());
            assertEquals("zombie", zombie.zombie().stateDescription());
        } finally {
            assertEquals(new WaitStatus.Exited(z, 4), Posix.waitpid(z, 0));
        }
        assertEquals(List.of(), ProcessTable.zombiesOf(me).stream().filter(p -> p.pid() == z).toList());
    }

    @Test
    void pidLimitsAreRead() throws Exception {
        PidLimits l = PidLimits.read();
        assertTrue(l.pidMax() >= 301, "pid_max " + l.pidMax()); // the kernel's minimum is 301
        assertTrue(l.threadsMax() > 0);
        assertTrue(l.tasksNow() >= l.processesNow() && l.processesNow() > 1, l.toString());
        assertEquals(Processes.read(Path.of("/proc/sys/kernel/pid_max")).trim(), Long.toString(l.pidMax()));
        assertEquals(Processes.read(Path.of("/proc/sys/kernel/threads-max")).trim(), Long.toString(l.threadsMax()));
        assertEquals(ProcessControl.getrlimit(ProcessControl.Resource.NPROC), l.nproc());
        assertEquals(Posix.getuid(), l.uid());
        assertTrue(l.userTasks() >= Long.parseLong(Processes.status(Posix.getpid(), "Threads").orElseThrow()), l.toString());
        // One finite limit is the tightest, and the headroom is what it leaves.
        PidLimits.Limit t = l.tightest();
        assertTrue(l.limits().stream().allMatch(x -> x.headroom() >= t.headroom()), l.limits().toString());
        assertEquals(t.limit() - t.used(), l.headroom());
        assertEquals(l.pidMax() - 1, l.limits().getFirst().limit());
        assertTrue(l.describe().getLast().startsWith("headroom"), l.describe().toString());
        assertEquals(PidsCgroup.ofCurrentThread().map(c -> c.chain().size()).orElse(0), l.cgroups().size());
    }
}
