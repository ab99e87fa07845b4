package dev.daemonkit.posix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Each binding exercised for real against the kernel. */
class PosixTest {

    @Test
    void umaskSetAndRestore() {
        int original = Posix.umask(0027);
        try {
            assertEquals(0027, Posix.umask(0077));
            assertEquals(0077, Posix.currentUmask());
        } finally {
            Posix.umask(original);
        }
        assertEquals(original, Posix.currentUmask());
    }

    @Test
    void pipeRoundTrip() throws Exception {
        Posix.Pipe p = Posix.pipe();
        try {
            assertTrue(Posix.isCloseOnExec(p.readFd()), "pipe() ends are close-on-exec");
            Posix.write(p.writeFd(), "hello, pipe");
            assertEquals("hello, pipe", new String(Posix.read(p.readFd(), 100), StandardCharsets.UTF_8));
            Posix.close(p.writeFd());
            assertEquals(0, Posix.read(p.readFd(), 100).length, "EOF after the write end is closed");
        } finally {
            Posix.close(p.readFd());
        }
    }

    @Test
    void dup2OntoAPipe() throws Exception {
        Posix.Pipe p = Posix.pipe();
        int target = 200;
        try {
            assertEquals(target, Posix.dup2(p.writeFd(), target));
            assertFalse(Posix.isCloseOnExec(target), "dup2 clears FD_CLOEXEC on the new fd");
            Posix.write(target, new byte[] {1, 2, 3});
            assertArrayEquals(new byte[] {1, 2, 3}, Posix.read(p.readFd(), 10));
        } finally {
            Posix.close(target);
            Posix.close(p.readFd());
            Posix.close(p.writeFd());
        }
    }

    @Test
    void killZeroOnSelfAndOnADeadPid() throws Exception {
        Posix.kill(Posix.getpid(), 0);
        assertTrue(Posix.exists(Posix.getpid()));
        int pid = Posix.forkExit(0);
        assertEquals(new WaitStatus.Exited(pid, 0), Posix.waitpid(pid, 0));
        // The pid is free now; unless something else grabbed it in these microseconds it is gone.
        PosixException e = assertThrows(PosixException.class, () -> Posix.kill(pid, Signal.SIGTERM));
        assertEquals(Errno.ESRCH, e.errno());
        assertEquals("ESRCH", e.errnoName());
        assertTrue(e.getMessage().contains("kill(" + pid + ", SIGTERM)"), e.getMessage());
        assertTrue(e.getMessage().contains("No such process"), e.getMessage());
    }

    @Test
    void waitpidOnANonChildIsEchild() {
        PosixException e = assertThrows(PosixException.class, () -> Posix.waitpid(1, Posix.WNOHANG));
        assertEquals(Errno.ECHILD, e.errno());
        assertTrue(e.call().startsWith("waitpid(1"));
    }

    @Test
    void forkExitReportsTheStatus() throws Exception {
        int pid = Posix.forkExit(42);
        assertTrue(pid > 0);
        assertEquals(new WaitStatus.Exited(pid, 42), Posix.waitpid(pid, 0));
    }

    @Test
    void waitidReportsExitAndSignal() throws Exception {
        int pid = Posix.forkExit(7);
        assertEquals(new WaitStatus.Exited(pid, 7), Posix.waitidPid(pid, 0));
    }

    @Test
    void sigactionReadBackAndRestore() throws Exception {
        SignalDisposition hupBefore = Posix.signalDisposition(Signal.SIGHUP);
        SignalDisposition pipeBefore = Posix.signalDisposition(Signal.SIGPIPE);
        // The JVM installs handlers for SIGHUP (shutdown hooks) and ignores or handles SIGPIPE.
        assertEquals(SignalDisposition.Action.HANDLER, hupBefore.action(), "the JVM handles SIGHUP");
        try {
            SignalDisposition prev = Posix.sigaction(Signal.SIGHUP, SignalDisposition.IGNORE);
            assertEquals(hupBefore, prev);
            assertEquals(SignalDisposition.Action.IGNORE, Posix.signalDisposition(Signal.SIGHUP).action());
            Posix.sigaction(Signal.SIGPIPE, SignalDisposition.DEFAULT.withFlags(SignalDisposition.SA_RESTART));
            SignalDisposition pipeNow = Posix.signalDisposition(Signal.SIGPIPE);
            assertEquals(SignalDisposition.Action.DEFAULT, pipeNow.action());
            assertTrue(pipeNow.has(SignalDisposition.SA_RESTART));
        } finally {
            Posix.sigaction(Signal.SIGHUP, hupBefore);
            Posix.sigaction(Signal.SIGPIPE, pipeBefore);
        }
        assertEquals(hupBefore, Posix.signalDisposition(Signal.SIGHUP));
        assertEquals(pipeBefore, Posix.signalDisposition(Signal.SIGPIPE));
        assertThrows(PosixException.class, () -> Posix.sigaction(Signal.SIGKILL, SignalDisposition.IGNORE));
    }

    @Test
    void blockedSignalsReadOnly() throws Exception {
        // The test thread normally blocks nothing that matters; the call must simply work.
        assertFalse(Posix.blockedSignals().contains(Signal.SIGKILL));
    }

    @Test
    void sessionAndGroupIds() throws Exception {
        int pid = Posix.getpid();
        // 0 is legitimate: in a pid namespace (CI sandboxes) the session leader or the parent
        // may live outside it, and the kernel then reports 0.
        assertTrue(Posix.getsid(0) >= 0);
        assertEquals(Posix.getsid(0), Posix.getsid(pid));
        assertEquals(Posix.getpgid(0), Posix.getpgid(pid));
        assertTrue(Posix.getppid() >= 0);
        PosixException e = assertThrows(PosixException.class, () -> Posix.getsid(Integer.MAX_VALUE));
        assertEquals(Errno.ESRCH, e.errno());
    }

    @Test
    void pidfdOnAChild() throws Exception {
        int pid = Posix.forkExit(3);
        int pidfd = Posix.pidfdOpen(pid);
        try {
            // A zombie still has its pidfd; signal 0 succeeds until it is reaped.
            assertEquals(new WaitStatus.Exited(pid, 3), Posix.waitidPidfd(pidfd, pid, 0));
            PosixException e = assertThrows(PosixException.class, () -> Posix.pidfdSendSignal(pidfd, Signal.SIGTERM));
            assertEquals(Errno.ESRCH, e.errno(), "a reaped process can no longer be signalled through its pidfd");
        } finally {
            Posix.close(pidfd);
        }
    }

    @Test
    void rlimitReadAndSet() throws Exception {
        Posix.RLimit core = Posix.getrlimit(Posix.Resource.CORE);
        try {
            Posix.setrlimit(Posix.Resource.CORE, new Posix.RLimit(0, core.hard()));
            assertEquals(0, Posix.getrlimit(Posix.Resource.CORE).soft());
        } finally {
            Posix.setrlimit(Posix.Resource.CORE, core);
        }
        assertTrue(Posix.getrlimit(Posix.Resource.NOFILE).soft() > 0);
    }

    @Test
    void openCloseAndErrors(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path f = dir.resolve("x.txt");
        int fd = Posix.open(f.toString(), Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL | Posix.O_CLOEXEC, 0600);
        Posix.write(fd, "abc");
        Posix.close(fd);
        assertEquals("abc", Files.readString(f));
        PosixException exists = assertThrows(PosixException.class,
                () -> Posix.open(f.toString(), Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL, 0600));
        assertEquals(Errno.EEXIST, exists.errno());
        PosixException missing = assertThrows(PosixException.class,
                () -> Posix.open(dir.resolve("none").toString(), Posix.O_RDONLY, 0));
        assertEquals(Errno.ENOENT, missing.errno());
        assertTrue(missing.getMessage().contains("none"));
        PosixException badFd = assertThrows(PosixException.class, () -> Posix.close(-1));
        assertEquals(Errno.EBADF, badFd.errno());
    }

    @Test
    void prctlNameAndSubreaperReadBack() throws Exception {
        String before = Posix.threadName();
        try {
            Posix.setThreadName("dk-test-thread");
            assertEquals("dk-test-thread", Posix.threadName());
        } finally {
            Posix.setThreadName(before);
        }
        assertFalse(Posix.isChildSubreaper(), "surefire's JVM is not a subreaper");
        assertTrue(Posix.parentDeathSignal().isEmpty() || Posix.parentDeathSignal().isPresent());
    }

    @Test
    void errnoNamesAndSignals() {
        assertEquals("EAGAIN", Errno.nameOf(11));
        assertEquals(Errno.ENOENT, Errno.of(2));
        assertEquals("errno 999", Errno.nameOf(999));
        assertEquals("No such file or directory", Posix.strerror(2));
        assertEquals(Signal.SIGTERM, Signal.parse("TERM"));
        assertEquals(Signal.SIGTERM, Signal.parse("sigterm"));
        assertEquals(Signal.SIGKILL, Signal.parse("9"));
        assertThrows(IllegalArgumentException.class, () -> Signal.parse("NOPE"));
    }

    @Test
    void waitStatusDecoding() {
        assertEquals(new WaitStatus.Exited(5, 3), WaitStatus.decode(5, 3 << 8));
        WaitStatus s = WaitStatus.decode(5, 9);
        WaitStatus.Signaled sig = assertInstanceOf(WaitStatus.Signaled.class, s);
        assertEquals(Signal.SIGKILL, sig.signal().orElseThrow());
        assertEquals(137, s.shellExitCode());
        assertTrue(((WaitStatus.Signaled) WaitStatus.decode(5, 11 | 0x80)).coreDumped());
        assertEquals(new WaitStatus.Stopped(5, 19), WaitStatus.decode(5, (19 << 8) | 0x7f));
        assertEquals(new WaitStatus.Continued(5), WaitStatus.decode(5, 0xffff));
    }
}
