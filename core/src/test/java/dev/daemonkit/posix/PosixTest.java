package dev.daemonkit.posix;

import dev.daemonkit.internal.libc.Abi;

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
        int original = PosixFiles.umask(0027);
        try {
            assertEquals(0027, PosixFiles.umask(0077));
            assertEquals(0077, PosixFiles.currentUmask());
        } finally {
            PosixFiles.umask(original);
        }
        assertEquals(original, PosixFiles.currentUmask());
    }

    @Test
    void pipeRoundTrip() throws Exception {
        try (PosixFiles.Pipe p = PosixFiles.pipe()) {
            assertTrue(PosixFiles.isCloseOnExec(p.readEnd()), "pipe() ends are close-on-exec");
            PosixFiles.write(p.writeEnd(), "hello, pipe");
            assertEquals("hello, pipe", new String(PosixFiles.read(p.readEnd(), 100), StandardCharsets.UTF_8));
            p.writeEnd().close();
            assertEquals(0, PosixFiles.read(p.readEnd(), 100).length, "EOF after the write end is closed");
            p.writeEnd().close(); // closing twice is harmless: an Fd closes once
        }
    }

    @Test
    void dup2OntoAPipe() throws Exception {
        try (PosixFiles.Pipe p = PosixFiles.pipe(); Fd target = Fd.adopt(200)) {
            PosixFiles.dup2(p.writeEnd(), target.number());
            assertFalse(PosixFiles.isCloseOnExec(target), "dup2 clears FD_CLOEXEC on the new fd");
            PosixFiles.write(target, new byte[] {1, 2, 3});
            assertArrayEquals(new byte[] {1, 2, 3}, PosixFiles.read(p.readEnd(), 10));
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
        try (Fd pidfd = Posix.openPidfd(pid)) {
            // A zombie still has its pidfd; signal 0 succeeds until it is reaped.
            assertEquals(new WaitStatus.Exited(pid, 3), Posix.waitidPidfd(pidfd, pid, 0));
            PosixException e = assertThrows(PosixException.class, () -> Posix.pidfdSendSignal(pidfd, Signal.SIGTERM));
            assertEquals(Errno.ESRCH, e.errno(), "a reaped process can no longer be signalled through its pidfd");
        }
    }

    @Test
    void rlimitReadAndSet() throws Exception {
        ProcessControl.RLimit core = ProcessControl.getrlimit(ProcessControl.Resource.CORE);
        try {
            ProcessControl.setrlimit(ProcessControl.Resource.CORE, new ProcessControl.RLimit(0, core.hard()));
            assertEquals(0, ProcessControl.getrlimit(ProcessControl.Resource.CORE).soft());
        } finally {
            ProcessControl.setrlimit(ProcessControl.Resource.CORE, core);
        }
        assertTrue(ProcessControl.getrlimit(ProcessControl.Resource.NOFILE).soft() > 0);
    }

    @Test
    void openCloseAndErrors(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path f = dir.resolve("x.txt");
        try (Fd fd = PosixFiles.open(f, PosixFiles.O_WRONLY | PosixFiles.O_CREAT | PosixFiles.O_EXCL
                | PosixFiles.O_CLOEXEC, 0600)) {
            PosixFiles.write(fd, "abc");
        }
        assertEquals("abc", Files.readString(f));
        PosixException exists = assertThrows(PosixException.class,
                () -> PosixFiles.open(f, PosixFiles.O_WRONLY | PosixFiles.O_CREAT | PosixFiles.O_EXCL, 0600));
        assertEquals(Errno.EEXIST, exists.errno());
        PosixException missing = assertThrows(PosixException.class,
                () -> PosixFiles.open(dir.resolve("none"), PosixFiles.O_RDONLY, 0));
        assertEquals(Errno.ENOENT, missing.errno());
        assertTrue(missing.getMessage().contains("none"));
        PosixException badFd = assertThrows(PosixException.class, () -> PosixFiles.fstat(Fd.borrow(9999)));
        assertEquals(Errno.EBADF, badFd.errno());
    }

    @Test
    void prctlNameAndSubreaperReadBack() throws Exception {
        String before = ProcessControl.threadName();
        try {
            ProcessControl.setThreadName("dk-test-thread");
            assertEquals("dk-test-thread", ProcessControl.threadName());
        } finally {
            ProcessControl.setThreadName(before);
        }
        assertFalse(ProcessControl.isChildSubreaper(), "surefire's JVM is not a subreaper");
        assertTrue(ProcessControl.parentDeathSignal().isEmpty() || ProcessControl.parentDeathSignal().isPresent());
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

    @Test
    void unixDatagramsCarryTheSendersCredentials() throws Exception {
        String name = "@daemonkit-test-" + Posix.getpid() + "-" + System.nanoTime();
        try (Fd server = Sockets.unixDatagram(); Fd client = Sockets.unixDatagram()) {
            Sockets.bindUnix(server, name);
            Sockets.passCredentials(server, true);
            assertTrue(Sockets.receive(server, 64, true).isEmpty(), "nothing queued yet");
            Sockets.sendTo(client, name, "READY=1".getBytes(StandardCharsets.UTF_8));
            Sockets.Datagram d = Sockets.receive(server, 64, false).orElseThrow();
            assertEquals("READY=1", new String(d.data(), StandardCharsets.UTF_8));
            assertEquals(Posix.getpid(), d.senderPid());
            assertEquals(Posix.geteuid(), d.senderUid());
            assertFalse(d.truncated());
            assertEquals(Abi.AF_UNIX, Sockets.domain(server));
            assertFalse(Sockets.isListening(server));
        }
    }

    @Test
    void withUmaskRestoresTheMaskAndNestsUnderOneLock() throws Exception {
        int before = PosixFiles.currentUmask();
        int inside = PosixFiles.withUmask(0077, PosixFiles::currentUmask);
        assertEquals(0077, inside);
        assertEquals(before, PosixFiles.currentUmask(), "restored");
        assertThrows(java.io.IOException.class, () -> PosixFiles.withUmask(0027, () -> {
            throw new java.io.IOException("boom");
        }));
        assertEquals(before, PosixFiles.currentUmask(), "restored after a failure too");
    }
}
