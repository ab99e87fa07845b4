package dev.daemonkit.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.posix.Posix;
import org.junit.jupiter.api.Test;

/** A thread blocked waiting for a child is seen in /proc, the way the own-all reaper looks. */
class ThreadWaitsTest {

    @Test
    void theJdksWaiterForAProcessBuilderChildIsSeen() throws Exception {
        Process p = new ProcessBuilder("sleep", "30").start();
        try {
            int pid = (int) p.pid();
            boolean seen = false;
            for (int i = 0; i < 200 && !seen; i++) { // the JDK's reaper thread starts waiting shortly
                seen = ThreadWaits.pidsBeingReaped().contains(pid);
                Thread.sleep(10);
            }
            assertTrue(seen, "no thread seen in wait4(" + pid + ")");
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
        assertFalse(ThreadWaits.pidsBeingReaped().contains((int) p.pid()));
    }

    @Test
    void syscallLinesAreReadAsTheKernelWritesThem() {
        int wait4 = Posix.SYS_WAIT4;
        int waitid = Posix.SYS_WAITID;
        assertEquals(1234, ThreadWaits.reapedBy(wait4 + " 0x4d2 0x7f00 0x0 0x0 0x0 0x0 0x7ffd 0x7f01"));
        assertEquals(ThreadWaits.ANY, ThreadWaits.reapedBy(wait4 + " 0xffffffffffffffff 0x7f00 0x0 0x0 0x0 0x0 0x7ffd 0x7f01"));
        assertEquals(77, ThreadWaits.reapedBy(waitid + " 0x1 0x4d 0x7f00 0x4 0x0 0x0 0x7ffd 0x7f01"));
        assertEquals(0, ThreadWaits.reapedBy(waitid + " 0x1 0x4d 0x7f00 0x1000004 0x0 0x0 0x7ffd 0x7f01"), "WNOWAIT only looks");
        assertEquals(0, ThreadWaits.reapedBy("running"));
        assertEquals(0, ThreadWaits.reapedBy("0 0x3 0x7f00 0x100 0x0 0x0 0x0 0x7ffd 0x7f01"), "read(2)");
    }
}
