package dev.daemonkit.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finding the pids cgroup from /proc/PID/cgroup and mountinfo, for v1 and v2, against directory
 * trees laid out as cgroupfs lays them out (this machine has only one of the two), and against
 * the real one.
 */
class PidsCgroupTest {
    @TempDir
    Path root;

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    @Test
    void v1HierarchyIsFoundAndReadUpToTheRoot() throws IOException {
        Path mount = root.resolve("sys fs/pids"); // a space, escaped as \040 in mountinfo
        write(mount.resolve("a/b/pids.max"), "40\n");
        write(mount.resolve("a/b/pids.current"), "7\n");
        write(mount.resolve("a/b/pids.peak"), "12\n");
        write(mount.resolve("a/b/pids.events"), "max 3\n");
        write(mount.resolve("a/pids.max"), "max\n");
        write(mount.resolve("a/pids.current"), "9\n");
        List<String> mountinfo = List.of(
                "25 1 0:22 / /sys rw,nosuid shared:7 - sysfs sysfs rw",
                "36 25 0:31 / " + mount.toString().replace(" ", "\\040") + " rw,relatime shared:15 - cgroup cgroup rw,pids",
                "37 25 0:32 / /sys/fs/cgroup/memory rw,relatime shared:16 - cgroup cgroup rw,memory");
        PidsCgroup cg = PidsCgroup.parse(List.of("9:name=systemd:/", "8:pids:/a/b", "4:memory:/x", "0::/"), mountinfo)
                .orElseThrow();
        assertEquals(PidsCgroup.Version.V1, cg.version());
        assertEquals("/a/b", cg.name());
        assertEquals(mount.resolve("a/b"), cg.path());
        assertEquals(OptionalLong.of(40), cg.max());
        assertEquals(OptionalLong.of(7), cg.current());
        assertEquals(OptionalLong.of(12), cg.peak());
        assertEquals(3, cg.refused());
        List<PidsCgroup> chain = cg.chain();
        assertEquals(List.of("/a/b", "/a", "/"), chain.stream().map(PidsCgroup::name).toList());
        assertEquals(OptionalLong.empty(), chain.get(1).max(), "\"max\" means no limit");
        assertEquals(OptionalLong.of(9), chain.get(1).current());
        assertEquals(mount, chain.get(2).path());
        assertTrue(chain.get(2).isRoot());
        assertEquals(OptionalLong.empty(), chain.get(2).current(), "the root has no pids files");
        assertEquals(0, chain.get(2).refused());
    }

    @Test
    void v2IsUsedOnlyWhereItsRootOffersThePidsController() throws IOException {
        Path mount = root.resolve("unified");
        write(mount.resolve("cgroup.controllers"), "cpu io memory\n");
        write(mount.resolve("user.slice/pids.max"), "100\n");
        List<String> mountinfo = List.of("30 25 0:27 / " + mount + " rw,relatime shared:9 - cgroup2 cgroup2 rw");
        List<String> self = List.of("0::/user.slice");
        assertEquals(Optional.empty(), PidsCgroup.parse(self, mountinfo), "no pids controller in v2: none");

        write(mount.resolve("cgroup.controllers"), "cpu io memory pids\n");
        PidsCgroup cg = PidsCgroup.parse(self, mountinfo).orElseThrow();
        assertEquals(PidsCgroup.Version.V2, cg.version());
        assertEquals(OptionalLong.of(100), cg.max());
        assertEquals(List.of("/user.slice", "/"), cg.chain().stream().map(PidsCgroup::name).toList());
    }

    @Test
    void aMountOfASubtreeMapsPathsBelowItsRootOnly() throws IOException {
        Path mount = root.resolve("pids");
        Files.createDirectories(mount.resolve("job"));
        List<String> mountinfo = List.of("40 30 0:31 /docker/abc " + mount + " rw - cgroup cgroup rw,pids");
        assertEquals(mount.resolve("job"), PidsCgroup.parse(List.of("8:pids:/docker/abc/job"), mountinfo).orElseThrow().path());
        assertEquals(Optional.empty(), PidsCgroup.parse(List.of("8:pids:/elsewhere"), mountinfo));
    }

    @Test
    void childNamesCannotEscape() {
        PidsCgroup cg = new PidsCgroup(PidsCgroup.Version.V1, root, "/");
        assertEquals(root.resolve("x"), cg.child("x").path());
        for (String bad : new String[] {"", "..", "a/b", ".hidden"}) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> cg.child(bad), bad);
        }
    }

    @Test
    void theRealOneIsTheOneProcSays() throws IOException {
        Optional<PidsCgroup> cg = PidsCgroup.ofCurrentThread();
        List<String> lines = Files.readAllLines(Path.of("/proc/thread-self/cgroup"));
        Optional<String> v1 = lines.stream().filter(l -> l.split(":", 3)[1].matches("(.*,)?pids(,.*)?")).findFirst();
        assumeTrue(cg.isPresent(), "this machine has no pids cgroup controller");
        if (v1.isPresent()) {
            assertEquals(PidsCgroup.Version.V1, cg.get().version());
            assertEquals(v1.get().split(":", 3)[2], cg.get().name());
        } else {
            assertEquals(PidsCgroup.Version.V2, cg.get().version());
        }
        assertTrue(Files.isDirectory(cg.get().path()));
        assertTrue(cg.get().chain().getLast().isRoot());
        assertFalse(cg.get().chain().isEmpty());
    }
}
