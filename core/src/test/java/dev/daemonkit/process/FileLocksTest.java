package dev.daemonkit.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.FileStat;
import dev.daemonkit.posix.PosixFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding the holders of a file's flock: through a candidate's fdinfo, or /proc/locks and a scan. */
class FileLocksTest {
    private static final int SELF = (int) ProcessHandle.current().pid();

    @Test
    void aCandidateHoldingTheLockIsFoundWithoutReadingProcLocks(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("held"), "x");
        FileStat st = PosixFiles.lstat(f);
        assertFalse(FileLocks.holders(st, List.of(SELF), false).locked(), "nothing holds it yet");
        try (Fd fd = PosixFiles.open(f, PosixFiles.O_RDONLY, 0)) {
            assertTrue(PosixFiles.tryLockExclusive(fd));
            FileLocks.Lock byCandidate = FileLocks.holders(st, List.of(SELF), false);
            assertTrue(byCandidate.locked());
            assertEquals(List.of(SELF), byCandidate.holders());
            assertEquals(OptionalInt.empty(), byCandidate.lockerPid(), "/proc/locks was not needed");

            // No candidate (or a wrong one): /proc/locks names the locker, which is checked.
            FileLocks.Lock byProcLocks = FileLocks.holders(st, List.of(1), false);
            assertEquals(List.of(SELF), byProcLocks.holders());
            assertEquals(OptionalInt.of(SELF), byProcLocks.lockerPid());
            // Every holder (what stop asks for) always reads /proc/locks and scans.
            FileLocks.Lock all = FileLocks.holders(st, List.of(SELF), true);
            assertEquals(List.of(SELF), all.holders());
            assertEquals(OptionalInt.of(SELF), all.lockerPid());
        }
        assertFalse(FileLocks.holders(st, List.of(SELF), false).locked(), "released with the descriptor");
    }
}
