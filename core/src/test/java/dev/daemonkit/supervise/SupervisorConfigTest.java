package dev.daemonkit.supervise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.posix.Signal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The supervisord-style config file: every key, the defaults, and the errors. */
class SupervisorConfigTest {
    @TempDir
    Path dir;

    private List<ProgramSpec> read(String text) throws Exception {
        Path f = dir.resolve("programs.ini");
        Files.writeString(f, text);
        return SupervisorConfig.read(f);
    }

    @Test
    void everyKeyIsRead() throws Exception {
        List<ProgramSpec> specs = read("""
                # a comment
                [program:web]
                command = ./bin/server --port "80 80" 'a b'   ; trailing comment
                autorestart = unexpected
                exitcodes = 0, 2
                startsecs = 500ms
                startretries = 7
                backoff_max = 2m
                stopsignal = QUIT
                stopwaitsecs = 3.5
                numprocs = 2
                stdout_logfile = logs/web.log
                redirect_stderr = true
                logfile_maxbytes = 512KB
                logfile_backups = 0
                environment = A="1,2",B=x
                directory = work
                stopasgroup = true
                signal_map = TERM:QUIT, HUP:USR1
                pidfile = run/web.pid
                pdeathsig = TERM
                """);
        assertEquals(1, specs.size());
        ProgramSpec s = specs.get(0);
        assertEquals("web", s.name());
        assertEquals(List.of(dir.resolve("bin/server").toString(), "--port", "80 80", "a b"), s.command());
        assertEquals(RestartPolicy.ON_FAILURE, s.restart());
        assertEquals(Set.of(0, 2), s.exitCodes());
        assertEquals(Duration.ofMillis(500), s.startSeconds());
        assertEquals(7, s.startRetries());
        assertEquals(Duration.ofMinutes(2), s.backoffMax());
        assertEquals(Signal.SIGQUIT, s.stopSignal());
        assertEquals(Duration.ofMillis(3500), s.stopTimeout());
        assertEquals(2, s.numprocs());
        assertEquals(dir.resolve("logs/web.log"), s.stdoutLog());
        assertEquals(dir.resolve("logs/web.log"), s.stderrLog(), "redirect_stderr");
        assertEquals(512 * 1024, s.logMaxBytes());
        assertEquals(0, s.logBackups());
        assertEquals(Map.of("A", "1,2", "B", "x"), s.environment());
        assertEquals(dir.resolve("work"), s.directory());
        assertTrue(s.signalGroup());
        assertEquals(Map.of(Signal.SIGTERM, Signal.SIGQUIT, Signal.SIGHUP, Signal.SIGUSR1), s.signalMap());
        assertEquals(dir.resolve("run/web.pid"), s.pidfile());
        assertEquals(Signal.SIGTERM, s.parentDeathSignal());
    }

    @Test
    void defaultsAreSupervisordLike() throws Exception {
        ProgramSpec s = read("[program:a]\ncommand = sleep 1\n[program:b]\ncommand=true\n").get(0);
        assertEquals(List.of("sleep", "1"), s.command(), "a bare name is looked up in PATH, not made relative");
        assertEquals(RestartPolicy.ON_FAILURE, s.restart());
        assertEquals(Set.of(0), s.exitCodes());
        assertEquals(Duration.ofSeconds(1), s.startSeconds());
        assertEquals(3, s.startRetries());
        assertEquals(Duration.ofSeconds(30), s.backoffMax());
        assertEquals(Signal.SIGTERM, s.stopSignal());
        assertEquals(Duration.ofSeconds(10), s.stopTimeout());
        assertEquals(10L << 20, s.logMaxBytes());
        assertEquals(5, s.logBackups());
        assertNull(s.stdoutLog());
        assertNull(s.parentDeathSignal());
    }

    @Test
    void theSampleConfigReadsWithBothSpellings() throws Exception {
        Path sample = projectRoot().resolve("examples/supervise.ini");
        List<ProgramSpec> specs = SupervisorConfig.read(sample);
        assertEquals(List.of("web", "flaky", "worker"), specs.stream().map(ProgramSpec::name).toList());
        ProgramSpec web = specs.get(0);
        assertEquals(Duration.ofSeconds(3), web.startSeconds());
        assertEquals(Path.of("/tmp/dk-web.log"), web.stderrLog(), "redirect_stderr = yes");
        assertEquals(sample.getParent(), web.directory());
        assertEquals(1L << 20, specs.get(1).logMaxBytes());
        assertEquals(Signal.SIGQUIT, specs.get(2).stopSignal());
        assertEquals(Duration.ofSeconds(5), specs.get(2).stopTimeout());
    }

    @Test
    void mistakesNameFileAndLine() {
        assertError("[program:x]\ncommand = true\nautostart = true\n", ":3: ", "autostart");
        assertError("[program:x]\ncommand = true\n[program:x]\ncommand = false\n", ":3: ", "defined twice");
        assertError("[supervisord]\n", ":1: ", "[program:NAME]");
        assertError("[program:x]\nstartsecs = 1\n", "", "command is missing");
        assertError("[program:x]\ncommand = true\nstartretries = many\n", "", "startretries: not a number");
        assertError("[program:x]\ncommand = true\nstopsignal = NOPE\n", "", "stopsignal");
        assertError("[program:x]\ncommand = true\nrestart = sometimes\n", "", "restart");
    }

    private void assertError(String text, String where, String what) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(text));
        assertTrue(e.getMessage().contains("programs.ini" + where) && e.getMessage().contains(what), e.getMessage());
    }

    /** The directory with mvnw: the tests run in core/, the sample lives at the project root. */
    private static Path projectRoot() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (java.nio.file.Files.exists(d.resolve("mvnw")) && java.nio.file.Files.isDirectory(d.resolve("examples"))) {
                return d;
            }
        }
        throw new IllegalStateException("no project root above " + Path.of("").toAbsolutePath());
    }
}
