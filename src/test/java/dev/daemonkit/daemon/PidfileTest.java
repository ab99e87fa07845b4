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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PidfileTest {
    @TempDir
    Path dir;

    @Test
    void acquireWriteInspectRelease() throws Exception {
        Path p = dir.resolve("d.pid");
        int old = Posix.umask(077);
        try (Pidfile pf = Pidfile.acquire(p)) {
            pf.write(12345);
            assertEquals("12345\n", Files.readString(p));
            assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), "0644 whatever the umask");
            assertEquals(new Pidfile.State.Running(OptionalLong.of(12345)), Pidfile.inspect(p));
            AlreadyRunningException e = assertThrows(AlreadyRunningException.class, () -> Pidfile.acquire(p));
            assertEquals(OptionalLong.of(12345), e.pid());
            assertTrue(e.getMessage().contains("already running (pid 12345"), e.getMessage());
        } finally {
            Posix.umask(old);
        }
        assertFalse(Files.exists(p), "removed on close");
        assertEquals(new Pidfile.State.Missing(), Pidfile.inspect(p));
    }

    @Test
    void staleFileIsTakenOver() throws Exception {
        Path p = dir.resolve("stale.pid");
        Files.writeString(p, "999999\n");
        assertEquals(new Pidfile.State.Stale(OptionalLong.of(999999)), Pidfile.inspect(p));
        try (Pidfile pf = Pidfile.acquire(p)) {
            pf.write(Posix.getpid());
            assertEquals(Posix.getpid() + "\n", Files.readString(p));
        }
    }

    @Test
    void symlinkIsRefused() throws Exception {
        Path target = dir.resolve("victim");
        Files.writeString(target, "precious");
        Path link = dir.resolve("link.pid");
        Files.createSymbolicLink(link, target);
        PosixException e = assertThrows(PosixException.class, () -> Pidfile.acquire(link));
        assertEquals(Errno.ELOOP, e.errno());
        assertEquals("precious", Files.readString(target), "the symlink target is untouched");
        assertInstanceOf(Pidfile.State.Unusable.class, Pidfile.inspect(link));
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
        PosixException e = assertThrows(PosixException.class, () -> Pidfile.acquire(p));
        assertEquals(Errno.EPERM, e.errno());
        assertTrue(e.getMessage().contains("owned by uid 65534"), e.getMessage());
    }
}
