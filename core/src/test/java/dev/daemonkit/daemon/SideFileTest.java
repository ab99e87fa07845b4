package dev.daemonkit.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shortcut that lets status/stop/reload of a daemon that is not running skip the FFM calls:
 * only a path with nothing at all behind it counts as absent, so a dangling symlink planted as a
 * pidfile still goes through the full checks (and is refused there).
 */
class SideFileTest {
    @TempDir
    Path dir;

    @Test
    void onlyAPathWithNothingBehindItIsAbsent() throws Exception {
        assertTrue(SideFile.certainlyAbsent(dir.resolve("missing.pid")));
        Path file = Files.writeString(dir.resolve("x.pid"), "42\n");
        assertFalse(SideFile.certainlyAbsent(file));
        Path dangling = Files.createSymbolicLink(dir.resolve("link.pid"), dir.resolve("nowhere"));
        assertFalse(SideFile.certainlyAbsent(dangling), "a dangling symlink is something");
        // ENOTDIR: nothing can be there; the full check says Missing for it as well
        assertTrue(SideFile.certainlyAbsent(file.resolve("below-a-file")));
    }

    @Test
    void aDanglingSymlinkPidfileIsStillRefusedNotReportedMissing() throws Exception {
        Path dangling = Files.createSymbolicLink(dir.resolve("link.pid"), dir.resolve("nowhere"));
        DaemonControl.Status s = DaemonControl.status(dangling);
        assertEquals(4, s.lsbCode(), s.describe());
        assertTrue(Files.isSymbolicLink(dangling));
    }
}
