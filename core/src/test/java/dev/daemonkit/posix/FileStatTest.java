package dev.daemonkit.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.process.FileLocks;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link FileStat#lockKey()}: the file's identity exactly as the kernel prints it in /proc/locks. */
class FileStatTest {
    @Test
    void lockKeyIsMajorMinorInTwoHexDigitsAndTheInodeInDecimal() {
        assertEquals("fe:00:2146545", stat(0xfe, 0, 2146545).lockKey());
        assertEquals("08:01:12", stat(8, 1, 12).lockKey());
        assertEquals("103:1f:7", stat(0x103, 0x1f, 7).lockKey());
        // ino_t is unsigned: the kernel prints %lu.
        assertEquals("00:2a:18446744073709551615", stat(0, 0x2a, -1L).lockKey());
    }

    @Test
    void aLockTakenHereIsFoundInProcLocksUnderThatKey(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("locked"), "x");
        FileStat st = PosixFiles.lstat(f);
        assertTrue(!FileLocks.entry(st).locked(), "not locked yet");
        // A flock, as a daemon holds its pidfile (FileChannel.lock would be an fcntl lock).
        try (Fd fd = PosixFiles.open(f, PosixFiles.O_RDONLY, 0)) {
            assertTrue(PosixFiles.tryLockExclusive(fd));
            assertTrue(FileLocks.entry(st).locked(), Files.readString(Path.of("/proc/locks")) + " / key " + st.lockKey());
        }
    }

    private static FileStat stat(long major, long minor, long inode) {
        return new FileStat(major, minor, inode, 0100644, 1, 0, 0, 0);
    }
}
