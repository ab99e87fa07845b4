package dev.daemonkit.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.testing.Processes;
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
    void pidLimitsAreRead() {
        PidLimits l = PidLimits.read();
        assertTrue(l.pidMax() >= 301, "pid_max " + l.pidMax()); // the kernel's minimum is 301
        assertTrue(l.threadsMax() > 0);
        assertTrue(l.tasksNow() >= l.processesNow() && l.processesNow() > 1, l.toString());
        assertEquals(6, l.describe().size());
    }
}
