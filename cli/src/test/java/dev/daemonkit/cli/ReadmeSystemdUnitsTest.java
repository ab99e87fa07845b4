package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.daemonkit.testkit.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's systemd units, checked by {@code systemd-analyze verify} (Debian package systemd;
 * it needs no running systemd): no unknown keys or sections, a valid [Install] section, and
 * executables that exist — the README's /opt/daemonkit is this checkout, and its JDK path this
 * test's JDK.
 */
class ReadmeSystemdUnitsTest {
    private static final String README_JDK = "/usr/lib/jvm/temurin-25-jdk-amd64";

    @TempDir
    Path dir;

    private static Optional<Path> systemdAnalyze() {
        return Stream.of("/usr/bin/systemd-analyze", "/bin/systemd-analyze").map(Path::of)
                .filter(Files::isExecutable).findFirst();
    }

    @Test
    void everyUnitInTheReadmeVerifiesCleanly() throws Exception {
        List<Readme.Marked> units = Readme.marked("systemd-unit");
        assertTrue(units.size() >= 2, "README.md shows its units after <!-- systemd-unit: NAME.service -->");
        Optional<Path> analyze = systemdAnalyze();
        assumeTrue(analyze.isPresent(), "systemd-analyze is not installed (Debian package systemd)");
        String jdk = Path.of(System.getProperty("java.home")).toString();
        for (Readme.Marked unit : units) {
            String text = unit.block().text();
            assertTrue(text.contains("\n[Install]\n"), unit.argument() + " has an [Install] section");
            assertTrue(text.contains(README_JDK), unit.argument() + " names its JDK >= 22 explicitly");
            Path file = dir.resolve(unit.argument());
            Files.writeString(file, text.replace("/opt/daemonkit/", Readme.projectRoot() + "/").replace(README_JDK, jdk));
            Cli.Result r = Cli.exec(new ProcessBuilder(analyze.get().toString(), "verify", file.toString()),
                    Duration.ofSeconds(60));
            assertEquals(0, r.exitCode(), unit.argument() + ":\n" + r.all());
            // Only what it says about this unit: other units on the machine are not the README's business.
            List<String> warnings = r.all().lines().filter(l -> l.contains(unit.argument())).toList();
            assertEquals(List.of(), warnings, unit.argument() + ": systemd-analyze warns");
        }
    }
}
