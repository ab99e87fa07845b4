package dev.daemonkit.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.process.FileLocks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pidfile lock in-process: acquisition, what a looker sees, and the files it refuses to touch. */
class PidfileTest {
    @TempDir
    Path dir;

    @Test
    void acquireWriteInspectRelease() throws Exception {
        Path p = dir.resolve("d.pid");
        int old = PosixFiles.umask(077);
        try (Pidfile pf = Pidfile.acquire(p)) {
            pf.write(Posix.getpid());
            assertEquals(Posix.getpid() + "\n", Files.readString(p));
            assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), "0644 whatever the umask");
            PidfileProbe.Regular r = assertInstanceOf(PidfileProbe.Regular.class, PidfileProbe.inspect(p, true));
            assertTrue(r.lock().locked());
            assertEquals(List.of(Posix.getpid()), r.lock().holders(), "we hold it, found through /proc without locking");
            AlreadyRunningException e = assertThrows(AlreadyRunningException.class, () -> Pidfile.acquire(p));
            assertTrue(e.getMessage().contains("already running (pid " + Posix.getpid()), e.getMessage());
        } finally {
            PosixFiles.umask(old);
        }
        assertFalse(Files.exists(p), "removed on close");
        assertInstanceOf(PidfileProbe.Missing.class, PidfileProbe.inspect(p, false));
    }

    @Test
    void theLockLivesOnAReadOnlyDescriptorAndSealingDropsTheWritableOne() throws Exception {
        Path p = dir.resolve("ro.pid");
        try (Pidfile pf = Pidfile.acquire(p)) {
            pf.write(42);
            String flags = Files.readAllLines(Path.of("/proc/self/fdinfo/" + pf.lockFd().number())).stream()
                    .filter(l -> l.startsWith("flags:")).findFirst().orElseThrow();
            assertEquals(0, Integer.parseInt(flags.substring(6).trim(), 8) & 3, "O_RDONLY: " + flags);
            assertTrue(FileLocks.holderFd(Posix.getpid(), pf.file()).isPresent());
            pf.sealWrites();
            assertThrows(IllegalStateException.class, () -> pf.write(43));
            assertEquals("42\n", Files.readString(p));
        }
    }

    @Test
    void staleFileIsTakenOver() throws Exception {
        Path p = dir.resolve("stale.pid");
        Files.writeString(p, "999999\n");
        PidfileProbe.Regular r = assertInstanceOf(PidfileProbe.Regular.class, PidfileProbe.inspect(p, false));
        assertFalse(r.lock().locked());
        try (Pidfile pf = Pidfile.acquire(p)) {
            pf.write(Posix.getpid());
            assertEquals(Posix.getpid() + "\n", Files.readString(p));
        }
    }

    @Test
    void symlinkIsRefusedAndItsTargetUntouched() throws Exception {
        Path target = dir.resolve("victim");
        Files.writeString(target, "precious");
        Path link = dir.resolve("link.pid");
        Files.createSymbolicLink(link, target);
        PidfileException e = assertThrows(PidfileException.class, () -> Pidfile.acquire(link));
        assertTrue(e.badInput() && e.getMessage().contains("symbolic link"), e.getMessage());
        assertEquals("precious", Files.readString(target), "the symlink target is untouched");
        assertInstanceOf(PidfileProbe.NotAPidfile.class, PidfileProbe.inspect(link, false));
    }

    @Test
    void aFileThatIsNotAPidIsNeverTruncated() throws Exception {
        Path conf = dir.resolve("app.conf");
        Files.writeString(conf, "port = 8080\n");
        PidfileException e = assertThrows(PidfileException.class, () -> Pidfile.acquire(conf));
        assertTrue(e.getMessage().contains("not a pid"), e.getMessage());
        assertEquals("port = 8080\n", Files.readString(conf));
        assertEquals(Pidfile.Removal.NOT_STALE, Pidfile.removeStale(conf, PosixFiles.lstat(conf)));
        assertTrue(Files.exists(conf));
    }

    @Test
    void aHardLinkedFileIsRefused() throws Exception {
        Path other = dir.resolve("other");
        Files.writeString(other, "");
        Path p = dir.resolve("hl.pid");
        Files.createLink(p, other);
        PidfileException e = assertThrows(PidfileException.class, () -> Pidfile.acquire(p));
        assertTrue(e.getMessage().contains("2 hard links"), e.getMessage());
    }

    @Test
    void aFifoIsRefusedWithoutHanging() throws Exception {
        Path fifo = dir.resolve("f.pid");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        PidfileException e = assertThrows(PidfileException.class, () -> Pidfile.acquire(fifo));
        assertTrue(e.getMessage().contains("FIFO"), e.getMessage());
        assertInstanceOf(PidfileProbe.NotAPidfile.class, PidfileProbe.inspect(fifo, false));
    }

    @Test
    void removeStaleRemovesOnlyTheFileItWasShownAndOnlyWhenUnlocked() throws Exception {
        Path p = dir.resolve("s.pid");
        Files.writeString(p, "999999\n");
        var seen = PosixFiles.lstat(p);
        try (Pidfile held = Pidfile.acquire(dir.resolve("held.pid"))) {
            held.write(Posix.getpid());
            assertEquals(Pidfile.Removal.BUSY, Pidfile.removeStale(held.path(), held.file()), "locked: not stale");
            assertTrue(Files.exists(held.path()));
        }
        Files.move(p, dir.resolve("moved-away")); // kept, so its inode cannot be reused at once
        Files.writeString(p, "999998\n"); // another file now lives at the path
        assertEquals(Pidfile.Removal.GONE, Pidfile.removeStale(p, seen));
        assertTrue(Files.exists(p));
        assertEquals(Pidfile.Removal.REMOVED, Pidfile.removeStale(p, PosixFiles.lstat(p)));
        assertFalse(Files.exists(p));
    }

    /** Looking is not locking: a tight loop of status and stale removal never makes a start fail. */
    @Test
    void lookersNeverMakeAStartSayAlreadyRunning() throws Exception {
        Path p = dir.resolve("busy.pid");
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger removals = new java.util.concurrent.atomic.AtomicInteger();
        Runnable look = () -> {
            while (!stop.get()) {
                try {
                    if (Pidfile.removeStale(p, PosixFiles.lstat(p)) == Pidfile.Removal.REMOVED) {
                        removals.incrementAndGet();
                    }
                } catch (PosixException e) {
                    // nothing there right now
                }
            }
        };
        List<Thread> lookers = List.of(Thread.ofPlatform().start(look), Thread.ofPlatform().start(look),
                Thread.ofPlatform().start(() -> {
                    while (!stop.get()) {
                        DaemonControl.status(p);
                    }
                }));
        try {
            for (int i = 0; i < 1000; i++) {
                Pidfile pf = Pidfile.acquire(p); // throws AlreadyRunningException if a looker were taken for a daemon
                pf.write(Posix.getpid());
                pf.detach(); // "crash": leave a stale file behind for the lookers to remove
            }
        } finally {
            stop.set(true);
            for (Thread t : lookers) {
                t.join();
            }
        }
        assertTrue(removals.get() > 0, "the looker did lock and remove stale files meanwhile");
    }

    @Test
    void missingDirectoryIsNamed() {
        Path p = dir.resolve("no/such/dir/x.pid");
        PosixException e = assertThrows(PosixException.class, () -> Pidfile.acquire(p));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains(dir.resolve("no/such/dir").toString()), e.getMessage());
    }

    @Test
    void fileOwnedByAnotherUserIsRefused() throws Exception {
        assumeTrue(Posix.geteuid() == 0, "needs root to chown a file to another user");
        Path p = dir.resolve("other.pid");
        Files.writeString(p, "1\n");
        Files.setAttribute(p, "unix:uid", 65534);
        PidfileException e = assertThrows(PidfileException.class, () -> Pidfile.acquire(p));
        assertTrue(e.getMessage().contains("owned by uid 65534"), e.getMessage());
        assertInstanceOf(PidfileProbe.Untrusted.class, PidfileProbe.inspect(p, false));
    }
}
