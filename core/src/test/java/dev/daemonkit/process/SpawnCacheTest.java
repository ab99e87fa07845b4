package dev.daemonkit.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.testkit.Parallel;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spawn attributes and fixed file actions are built once and shared: a shared object must give
 * every spawn exactly what a freshly built one would, from several threads at once.
 */
class SpawnCacheTest {
    @TempDir
    Path dir;

    @Test
    void attributeSettingsAreEqualExactlyWhenEveryFieldIs() throws Exception {
        // equals and hashCode are written out (see Settings): each component must count, including
        // one added later, so the components are found by reflection and changed one at a time.
        SpawnAttributes.Settings base = new SpawnAttributes.Settings(true, 1L << 12, false, true, false);
        assertEquals(base, new SpawnAttributes.Settings(true, 1L << 12, false, true, false));
        assertEquals(base.hashCode(), new SpawnAttributes.Settings(true, 1L << 12, false, true, false).hashCode());
        RecordComponent[] parts = SpawnAttributes.Settings.class.getRecordComponents();
        Constructor<SpawnAttributes.Settings> make = SpawnAttributes.Settings.class.getDeclaredConstructor(
                Arrays.stream(parts).map(RecordComponent::getType).toArray(Class<?>[]::new));
        for (int changed = 0; changed < parts.length; changed++) {
            Object[] values = new Object[parts.length];
            for (int i = 0; i < parts.length; i++) {
                Object v = parts[i].getAccessor().invoke(base);
                values[i] = i != changed ? v : v instanceof Boolean b ? !b : (Object) ((Long) v + 1);
            }
            SpawnAttributes.Settings other = make.newInstance(values);
            assertNotEquals(base, other, parts[changed].getName());
            assertNotEquals(base.hashCode(), other.hashCode(), parts[changed].getName());
        }
        assertNotEquals(base, (Object) "not settings");
    }

    @Test
    void onlyFixedFileActionsAreShared() {
        assertNotNull(SpawnFileActions.Settings.of(Redirect.NULL, Redirect.NULL, Redirect.INHERIT, false, false, null));
        assertNotNull(SpawnFileActions.Settings.of(Redirect.fd(5), Redirect.NULL, Redirect.NULL, true, false, "/tmp"));
        assertNull(SpawnFileActions.Settings.of(Redirect.NULL, Redirect.PIPE, Redirect.NULL, false, false, null),
                "a pipe needs new descriptors per spawn");
        assertNull(SpawnFileActions.Settings.of(Redirect.NULL, Redirect.NULL, Redirect.NULL, false, true, null),
                "passed fds are duplicated per spawn");
        assertNull(SpawnFileActions.Settings.of(Redirect.toFile(Path.of("relative.log")), Redirect.NULL, Redirect.NULL,
                false, false, null), "a relative file depends on the directory at spawn time");
    }

    @Test
    void sharedFileActionsGiveEachChildItsOwnFileAndNoOtherFd() throws Exception {
        List<String> listings = Parallel.run(2, t -> {
            Path out = dir.resolve("fds-" + t + ".txt");
            String last = null;
            for (int i = 0; i < 20; i++) {
                Spawn s = Spawn.of("/bin/sh", "-c", "exec ls /proc/self/fd").stdin(Redirect.NULL)
                        .stdout(Redirect.toFile(out)).stderr(Redirect.NULL).directory(dir);
                try (ChildProcess c = s.start()) {
                    assertEquals(new WaitStatus.Exited(c.pid(), 0), c.waitFor());
                }
                last = Files.readString(out);
            }
            return last;
        });
        for (String listing : listings) {
            // ls sees 0, 1, 2 and the directory it reads: nothing of the JVM's leaked through.
            assertEquals(List.of("0", "1", "2", "3"), List.of(listing.trim().split("\\s+")));
        }
        SpawnFileActions.Settings key = SpawnFileActions.Settings.of(Redirect.NULL,
                Redirect.toFile(dir.resolve("fds-0.txt")), Redirect.NULL, false, false, dir.toString());
        assertSame(SpawnFileActions.of(key, f -> {
            throw new AssertionError("already built");
        }), SpawnFileActions.of(key, f -> {
            throw new AssertionError("already built");
        }), "built once, then shared");
    }
}
