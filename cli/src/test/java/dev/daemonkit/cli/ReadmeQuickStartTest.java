package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The README's library quick start is the consumer project that {@code ./mvnw verify} builds and
 * runs (cli/src/it/consumer, through the maven-invoker-plugin): each of its files must appear in the
 * README exactly, so what a reader pastes is what was compiled and run. The consumer's pom names the
 * daemonkit version being built as {@code @project.version@}; the README shows that version.
 */
class ReadmeQuickStartTest {
    private static final List<String> FILES = List.of(
            "cli/src/it/consumer/pom.xml",
            "cli/src/it/consumer/src/main/java/module-info.java",
            "cli/src/it/consumer/src/main/java/dev/daemonkit/example/consumer/HelloDaemon.java");

    @Test
    void theQuickStartBlocksAreTheConsumerProjectsFiles() throws Exception {
        Map<String, Readme.Block> shown = new TreeMap<>();
        for (Readme.Marked m : Readme.marked("quickstart")) {
            assertTrue(shown.put(m.argument(), m.block()) == null, "README shows " + m.argument() + " twice");
        }
        assertEquals(new TreeSet<>(FILES), shown.keySet(),
                "README.md must show each file of the consumer project after a line <!-- quickstart: PATH -->");
        for (String file : FILES) {
            String expected = Files.readString(Readme.projectRoot().resolve(file)).replace("@project.version@", Main.version());
            String actual = shown.get(file).text();
            if (!expected.equals(actual)) {
                throw new AssertionError("README.md line " + shown.get(file).line() + ": the block for " + file
                        + " differs from the file " + firstDifference(expected, actual)
                        + "; copy the file into the README (with " + Main.version() + " for @project.version@)");
            }
        }
    }

    @Test
    void thePomInTheReadmeNamesAVersionThatIsBuiltHere() throws Exception {
        assertFalse(Main.version().isBlank() || Main.version().equals("unknown"), Main.version());
        String rootPom = Files.readString(Readme.projectRoot().resolve("pom.xml"));
        assertTrue(rootPom.contains("<version>" + Main.version() + "</version>"), "root pom's version is " + Main.version());
        String consumerPom = Files.readString(Readme.projectRoot().resolve(FILES.get(0)));
        assertTrue(consumerPom.contains("<version>@project.version@</version>"),
                "the consumer pom must depend on the daemonkit being built, not a fixed version");
    }

    private static String firstDifference(String expected, String actual) {
        List<String> e = expected.lines().toList();
        List<String> a = actual.lines().toList();
        for (int i = 0; i < Math.max(e.size(), a.size()); i++) {
            String el = i < e.size() ? e.get(i) : "(end of file)";
            String al = i < a.size() ? a.get(i) : "(end of block)";
            if (!el.equals(al)) {
                return "at its line " + (i + 1) + ":\n  file:   " + el + "\n  README: " + al;
            }
        }
        return "in its line endings";
    }

    @Test
    void theReadmeStartsTheDaemonWithTheCommandTheCheckRuns() throws Exception {
        // check.sh (run after the consumer's build) starts the daemon with this command; the README shows the same.
        String check = Files.readString(Readme.projectRoot().resolve("cli/src/it/consumer/check.sh"));
        String readme = String.join("\n", Readme.lines());
        String start = "$JAVA_HOME/bin/java --enable-native-access=dev.daemonkit -p target/modules \\\n"
                + "    -m dev.daemonkit.example.consumer/dev.daemonkit.example.consumer.HelloDaemon \\\n"
                + "    target/hello.pid target/hello.log target/hello.port\n";
        assertTrue(check.contains(start), "check.sh starts the daemon with:\n" + start);
        assertTrue(readme.contains(start), "README.md shows the start command:\n" + start);
    }
}
