package dev.daemonkit.internal.libc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The typed layer is the only door to libc: no compiled class outside {@code dev.daemonkit.posix}
 * (and the binding itself) refers to anything in {@code dev.daemonkit.internal.libc} — checked
 * in the class files, so a fully qualified name without an import is caught too.
 */
class OnlyPosixUsesLibcTest {
    private static final String LIBC = "dev/daemonkit/internal/libc/";

    @Test
    void noClassOutsideThePosixPackageUsesTheBinding() throws Exception {
        Path classes = Path.of(System.getProperty("daemonkit.test.classpath", "target/classes"));
        assertTrue(Files.isDirectory(classes.resolve("dev/daemonkit")), "compiled classes at " + classes);
        List<String> offenders = new ArrayList<>();
        int checked = 0;
        try (Stream<Path> all = Files.walk(classes)) {
            for (Path c : (Iterable<Path>) all.filter(p -> p.toString().endsWith(".class"))::iterator) {
                String name = classes.relativize(c).toString();
                if (name.startsWith(LIBC) || name.startsWith("dev/daemonkit/posix/") || !name.startsWith("dev/daemonkit/")) {
                    continue;
                }
                checked++;
                // Class references are UTF-8 entries of the constant pool: a plain byte search finds them.
                if (new String(Files.readAllBytes(c), StandardCharsets.ISO_8859_1).contains(LIBC)) {
                    offenders.add(name);
                }
            }
        }
        assertTrue(checked > 50, "looked at " + checked + " classes");
        assertEquals(List.of(), offenders, "classes that reach libc without going through dev.daemonkit.posix");
    }
}
