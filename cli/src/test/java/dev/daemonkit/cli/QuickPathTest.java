package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.testkit.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quick commands about a daemon that is not running link no downcall (the FFM linker's set-up
 * costs them a third of their start-up, issue 16; ./daemonkit gives them a cache without it). A
 * behaviour, checked by the classes a fresh JVM loads, not by timing: a new check on their path
 * that calls into libc (it happened: a directory walk before the "nothing there" answer) fails here.
 */
class QuickPathTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"status", "stop", "reload", "reopen-logs", "ctl"})
    void aMissingPidfileIsAnsweredWithoutTheFfmLinker(String command) throws Exception {
        Path classes = dir.resolve("classes.log");
        List<String> cmd = command.equals("ctl")
                ? Cli.command("ctl", "--pidfile", dir.resolve("none.pid").toString(), "status") // its socket: none.sock
                : Cli.command(command, "--pidfile", dir.resolve("none.pid").toString());
        cmd.add(1, "-Xlog:class+load=info:file=" + classes);
        Cli.Result r = Cli.exec(new ProcessBuilder(cmd), Duration.ofSeconds(60));
        assertEquals(command.equals("status") ? 3 : command.equals("stop") ? 0 : 1, r.exitCode(), r.all());
        String loaded = Files.readString(classes);
        assertTrue(loaded.contains("dev.daemonkit.cli.Main"), "the log lists the JVM's classes");
        assertFalse(loaded.contains("jdk.internal.foreign.abi.DowncallLinker"), command + " linked a downcall");
        assertFalse(loaded.contains("dev.daemonkit.internal.libc.Native "), command + " set up the libc binding");
    }
}
