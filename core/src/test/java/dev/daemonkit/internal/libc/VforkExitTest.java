package dev.daemonkit.internal.libc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.process.ProcessInfo;
import dev.daemonkit.process.ProcessTable;
import dev.daemonkit.testkit.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Posix.forkExit's vfork-style clone for real: statuses, reaping, the caller's signal mask, a big
 * heap and concurrent callers. Speed is measured by bench/run, never asserted here.
 */
class VforkExitTest {

    @Test
    void exitStatusRoundTrips() throws Exception {
        for (int status : new int[] {0, 1, 42, 127, 255}) {
            int pid = Posix.forkExit(status);
            assertTrue(pid > 0 && pid != Posix.getpid(), "a new process: " + pid);
            assertEquals(new WaitStatus.Exited(pid, status), Posix.waitpid(pid, 0));
        }
        // Like _exit: only the low 8 bits reach the parent.
        int pid = Posix.forkExit(256 + 9);
        assertEquals(new WaitStatus.Exited(pid, 9), Posix.waitpid(pid, 0));
        pid = Posix.forkExit(-1);
        assertEquals(new WaitStatus.Exited(pid, 255), Posix.waitpid(pid, 0));
    }

    @Test
    void everyChildIsReapedAndNoZombieIsLeft() throws Exception {
        List<Integer> pids = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            int pid = Posix.forkExit(i % 200);
            pids.add(pid);
            assertEquals(new WaitStatus.Exited(pid, i % 200), Posix.waitidPid(pid, 0));
        }
        for (int pid : pids) {
            PosixException e = assertThrows(PosixException.class, () -> Posix.waitpid(pid, Posix.WNOHANG));
            assertEquals(Errno.ECHILD, e.errno(), "pid " + pid + " was reaped already");
        }
        Set<Integer> ours = new HashSet<>(pids);
        for (ProcessInfo z : ProcessTable.zombiesOf(Posix.getpid())) {
            assertTrue(!ours.contains(z.pid()), "left a zombie: " + z);
        }
    }

    @Test
    void theCallersSignalMaskIsRestored() throws Exception {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment before = a.allocate(Abi.SIGSET_SIZE, 8);
            MemorySegment after = a.allocate(Abi.SIGSET_SIZE, 8);
            Signals.pthread_sigmask(Abi.SIG_BLOCK, MemorySegment.NULL, before);
            int pid = Posix.forkExit(0);
            Posix.waitpid(pid, 0);
            Signals.pthread_sigmask(Abi.SIG_BLOCK, MemorySegment.NULL, after);
            assertArrayEquals(before.toArray(ValueLayout.JAVA_BYTE), after.toArray(ValueLayout.JAVA_BYTE),
                    "the thread's mask is exactly what it was");

            // A mask with something blocked survives too, and is not widened to "all".
            MemorySegment usr2 = a.allocate(Abi.SIGSET_SIZE, 8);
            usr2.set(ValueLayout.JAVA_LONG, 0, 1L << (Signal.SIGUSR2.number() - 1));
            Signals.pthread_sigmask(Abi.SIG_BLOCK, usr2, MemorySegment.NULL);
            try {
                Signals.pthread_sigmask(Abi.SIG_BLOCK, MemorySegment.NULL, before);
                pid = Posix.forkExit(3);
                assertEquals(new WaitStatus.Exited(pid, 3), Posix.waitpid(pid, 0));
                Signals.pthread_sigmask(Abi.SIG_BLOCK, MemorySegment.NULL, after);
                assertArrayEquals(before.toArray(ValueLayout.JAVA_BYTE), after.toArray(ValueLayout.JAVA_BYTE));
                assertTrue(Posix.blockedSignals().contains(Signal.SIGUSR2));
                assertTrue(!Posix.blockedSignals().contains(Signal.SIGTERM), "not left with everything blocked");
            } finally {
                Signals.pthread_sigmask(Abi.SIG_UNBLOCK, usr2, MemorySegment.NULL);
            }
        }
    }

    @Test
    void worksWithALargeTouchedHeap() throws Exception {
        // 256 MiB, every page touched: a page-table-copying fork would have to copy all of it.
        byte[][] ballast = new byte[16][];
        for (int i = 0; i < ballast.length; i++) {
            ballast[i] = new byte[16 << 20];
            for (int p = 0; p < ballast[i].length; p += 4096) {
                ballast[i][p] = (byte) i;
            }
        }
        for (int i = 0; i < 200; i++) {
            int pid = Posix.forkExit(i & 0x7f);
            assertEquals(new WaitStatus.Exited(pid, i & 0x7f), Posix.waitpid(pid, 0));
        }
        // The child shared this memory and wrote nothing to it.
        for (int i = 0; i < ballast.length; i++) {
            assertEquals((byte) i, ballast[i][4096 * 7]);
        }
    }

    @Test
    void concurrentCallersGetTheirOwnChildren() throws Exception {
        // Each calling thread has its own stack segment for its children.
        List<Integer> done = Parallel.run(3, t -> {
            for (int i = 0; i < 300; i++) {
                int pid = Posix.forkExit(10 + t);
                assertEquals(new WaitStatus.Exited(pid, 10 + t), Posix.waitpid(pid, 0));
            }
            return 300;
        });
        assertEquals(List.of(300, 300, 300), done);
    }

    @Test
    void thePageTableCopyingBaselineStillWorks() throws Exception {
        int pid = Posix.forkExitCopyingPageTables(5);
        assertNotEquals(Posix.getpid(), pid);
        assertEquals(new WaitStatus.Exited(pid, 5), Posix.waitpid(pid, 0));
    }
}
