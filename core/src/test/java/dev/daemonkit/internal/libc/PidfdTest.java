package dev.daemonkit.internal.libc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * pidfd_open and pidfd_send_signal both ways: glibc's wrappers (2.36+, this machine) and the raw
 * system calls used where glibc lacks them, which would otherwise never run here.
 */
class PidfdTest {
    @ParameterizedTest(name = "bySyscall={0}")
    @ValueSource(booleans = {false, true})
    void opensSignalsAndReportsErrno(boolean bySyscall) throws Exception {
        Process child = new ProcessBuilder("sleep", "30").start();
        int fd = -1;
        try {
            fd = Pidfd.pidfd_open((int) child.pid(), 0, bySyscall);
            assertTrue(fd >= 0, "a descriptor: " + fd);
            Pidfd.pidfd_send_signal(fd, Signal.SIGTERM.number(), 0, bySyscall);
            assertTrue(child.waitFor(10, TimeUnit.SECONDS), "the signal reached the child");
            assertEquals(128 + Signal.SIGTERM.number(), child.exitValue(), "killed by SIGTERM");
            // Reaped now: the pidfd still names that process, which is gone.
            int reaped = fd;
            PosixException gone = assertThrows(PosixException.class,
                    () -> Pidfd.pidfd_send_signal(reaped, Signal.SIGTERM.number(), 0, bySyscall));
            assertEquals(Errno.ESRCH, gone.errno(), gone.getMessage());
            assertTrue(gone.getMessage().contains("pidfd_send_signal"), gone.getMessage());
        } finally {
            if (fd >= 0) {
                Unistd.close(fd);
            }
            child.destroyForcibly().waitFor();
        }
        PosixException noSuch = assertThrows(PosixException.class, () -> Pidfd.pidfd_open(-5, 0, bySyscall));
        assertEquals(Errno.EINVAL, noSuch.errno(), noSuch.getMessage());
        assertEquals("pidfd_open(-5)", noSuch.call(), "the call that failed, with its pid");
    }
}
