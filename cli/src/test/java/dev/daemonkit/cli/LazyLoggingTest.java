package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.testkit.Cli;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;

/** The CLI's logging: levels as slf4j-simple decides them, slf4j-simple set up only when needed. */
class LazyLoggingTest {
    @TempDir
    Path dir;

    @Test
    void levelsComeFromTheMostSpecificPropertyThenTheDefault() {
        System.setProperty("org.slf4j.simpleLogger.log.lazytest.a", "debug");
        System.setProperty("org.slf4j.simpleLogger.log.lazytest.a.b.quiet", "off");
        try {
            Logger parent = new LazyLogging().getLoggerFactory().getLogger("lazytest.a.b.C");
            assertTrue(parent.isDebugEnabled(), "inherits debug from lazytest.a");
            assertFalse(parent.isTraceEnabled());
            Logger off = new LazyLogging().getLoggerFactory().getLogger("lazytest.a.b.quiet");
            assertFalse(off.isErrorEnabled(), "off silences even errors");
            Logger other = new LazyLogging().getLoggerFactory().getLogger("lazytest.z");
            // No property of its own: the default, which Main.loggingDefaults() has set by now.
            String dflt = System.getProperty("org.slf4j.simpleLogger.defaultLogLevel");
            assertEquals(dflt.equals("debug") || dflt.equals("trace"), other.isDebugEnabled(), dflt);
            assertEquals(!dflt.equals("warn") && !dflt.equals("error") && !dflt.equals("off"), other.isInfoEnabled(), dflt);
        } finally {
            System.clearProperty("org.slf4j.simpleLogger.log.lazytest.a");
            System.clearProperty("org.slf4j.simpleLogger.log.lazytest.a.b.quiet");
        }
    }

    @Test
    void aCommandThatDoesNotLogNeverLoadsTheBinding() throws Exception {
        Cli.Result r = runWithClassLog("status", "--pidfile", dir.resolve("missing.pid").toString());
        assertEquals(3, r.exitCode(), r.all());
        assertTrue(r.stdout().contains("dev.daemonkit.cli.Main"), "class loading is logged: " + r.stdout());
        assertFalse(r.stdout().contains("org.slf4j.simple."), "slf4j-simple stayed unloaded:\n" + r.stdout());
        assertEquals("", r.stderr());
    }

    @Test
    void onTheModulePathTooTheProviderLoadsQuietly() throws Exception {
        List<String> modulePath = new ArrayList<>();
        modulePath.add(System.getProperty("daemonkit.test.classpath")); // cli's target/classes, with module-info
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            boolean library = java.nio.file.Files.exists(Path.of(e, "dev/daemonkit/posix/Posix.class"))
                    || Path.of(e).getFileName().toString().matches("daemonkit-[0-9].*\\.jar");
            if (e.contains("slf4j-api") || e.contains("slf4j-simple") || library) {
                modulePath.add(e);
            }
        }
        Cli.Result status = Cli.exec(new ProcessBuilder(Cli.java(), "--enable-native-access=dev.daemonkit", "-p",
                String.join(java.io.File.pathSeparator, modulePath), "-m", "dev.daemonkit.cli/dev.daemonkit.cli.Main",
                "status", "--pidfile", dir.resolve("missing.pid").toString()), Duration.ofSeconds(60));
        assertEquals(3, status.exitCode(), status.all());
        assertEquals("", status.stderr(), "no SLF4J complaint about the provider");
        Cli.Result logs = Cli.exec(new ProcessBuilder(Cli.java(), "--enable-native-access=dev.daemonkit", "-p",
                String.join(java.io.File.pathSeparator, modulePath), "-m", "dev.daemonkit.cli/dev.daemonkit.cli.Main",
                "supervise", "--restart", "never", "--start-seconds", "0", "--", "/bin/true"), Duration.ofSeconds(60));
        assertEquals(0, logs.exitCode(), logs.all());
        assertTrue(logs.stderr().contains("[INFO] Supervisor - true: ") && !logs.stderr().contains("SLF4J"), logs.all());
    }

    @Test
    void aCommandThatLogsLogsThroughSlf4jSimple() throws Exception {
        Cli.Result r = Cli.run("supervise", "--restart", "never", "--start-seconds", "0", "--", "/bin/true");
        assertEquals(0, r.exitCode(), r.all());
        assertTrue(r.stderr().matches("(?s).*\\d{4}-\\d\\d-\\d\\dT[0-9:.]+[Z+-][0-9:]* \\[INFO\\] Supervisor - true: .*"),
                "timestamped INFO lines on stderr: " + r.stderr());
    }

    private static Cli.Result runWithClassLog(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(Cli.command(args));
        cmd.add(1, "-Xlog:class+load=info:stdout");
        return Cli.exec(new ProcessBuilder(cmd), Duration.ofSeconds(60));
    }
}
