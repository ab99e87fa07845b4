package dev.daemonkit.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A copy of the test class path in a directory every user can read (0755 directories, 0644
 * files), made once per test JVM and deleted when it exits: what a deployment to /opt is for a
 * real daemon. Tests that start daemons dropping to {@code nobody}, or run the CLI as
 * {@code nobody}, use it — the clone itself may sit under a 0700 home directory.
 */
public final class ReadableClassPath {
    private static String classPath;

    private ReadableClassPath() {
    }

    /** The copied class path, joined with ':'. */
    public static synchronized String get() {
        if (classPath == null) {
            try {
                classPath = copy();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return classPath;
    }

    private static String copy() throws IOException {
        Path root = Files.createTempDirectory("daemonkit-cp-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(root)));
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path src = Path.of(e);
            if (!Files.exists(src)) {
                continue;
            }
            Path dst = root.resolve(i++ + "-" + src.getFileName());
            if (Files.isDirectory(src)) {
                try (Stream<Path> all = Files.walk(src)) {
                    for (Path p : (Iterable<Path>) all::iterator) {
                        Path t = dst.resolve(src.relativize(p).toString());
                        if (Files.isDirectory(p)) {
                            Files.createDirectories(t);
                            Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rwxr-xr-x"));
                        } else {
                            Files.copy(p, t);
                            Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rw-r--r--"));
                        }
                    }
                }
            } else {
                Files.copy(src, dst);
                Files.setPosixFilePermissions(dst, PosixFilePermissions.fromString("rw-r--r--"));
            }
            entries.add(dst.toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    private static void deleteQuietly(Path root) {
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at JVM exit
        }
    }
}
