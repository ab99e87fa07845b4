package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.supervise.OptionValues;
import dev.daemonkit.supervise.ProgramOption;
import dev.daemonkit.supervise.ProgramOptions;
import dev.daemonkit.supervise.ProgramSpec;
import dev.daemonkit.supervise.SupervisorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The option table as both doors see it: every flag of supervise and every key of a config file
 * come from it and give the same ProgramSpec; errors name the flag, or the file and line.
 */
class ProgramOptionsTableTest {
    /** A value other than the default for every option; a new row without one fails below. */
    private static final Map<String, String> SAMPLES = Map.ofEntries(Map.entry("restart", "never"),
            Map.entry("exit-codes", "0,3"), Map.entry("start-seconds", "1h"), Map.entry("start-retries", "7"),
            Map.entry("backoff-max", "2m"), Map.entry("stop-signal", "QUIT"), Map.entry("stop-timeout", "1h"),
            Map.entry("signal-group", "true"), Map.entry("map-signal", "TERM:QUIT"), Map.entry("pdeathsig", "KILL"),
            Map.entry("numprocs", "3"), Map.entry("env", "A=1"), Map.entry("directory", "/srv/app"),
            Map.entry("stdout-log", "/var/log/out.log"), Map.entry("stderr-log", "/var/log/err.log"),
            Map.entry("redirect-stderr", "true"), Map.entry("program-log", "/var/log/all.log"),
            Map.entry("log-max-bytes", "512KB"), Map.entry("log-backups", "0"),
            Map.entry("program-pidfile", "/run/app.pid"), Map.entry("notify", "true"), Map.entry("ready-fd", "3"),
            Map.entry("start-timeout", "1m"), Map.entry("watchdog", "30s"),
            Map.entry("listen", "http=127.0.0.1:8080,admin=127.0.0.1:8081"));

    @TempDir
    Path dir;

    @Test
    void everyOptionGivesTheSameSpecFromTheCommandLineAndFromEveryConfigKey() throws Exception {
        ProgramSpec defaults = base().build();
        for (ProgramOption o : ProgramOptions.all()) {
            String sample = SAMPLES.get(o.flag());
            assertTrue(sample != null, "no sample value for --" + o.flag() + " in this test");
            List<String> argv = new ArrayList<>(List.of("--" + o.flag()));
            if (!o.isSwitch()) {
                argv.add(sample);
            }
            ProgramSpec fromCli = cli(argv);
            assertNotEquals(defaults, fromCli, "--" + o.flag() + " " + sample + " changed nothing");
            List<String> keys = new ArrayList<>(o.iniKeys());
            keys.add(o.flag()); // a config file may spell a key with - as well
            for (String key : keys) {
                assertEquals(fromCli, ini(key + " = " + sample), key + " = " + sample + " vs --" + o.flag());
            }
            // What help prints as the value reads back as the same value.
            String shown = o.valueIn(fromCli).orElseThrow();
            assertEquals(fromCli, ini(o.iniKeys().get(0) + " = " + shown), o.flag() + " shown as " + shown);
        }
        assertEquals(SAMPLES.keySet().size(), ProgramOptions.all().size(), "a sample for an option that is gone");
    }

    @Test
    void theIssuesExamplesNowAgree() throws Exception {
        assertEquals(Duration.ofHours(1), ini("stopwaitsecs = 1h").stopTimeout());
        assertEquals(Duration.ofHours(1), cli(List.of("--stop-timeout", "1h")).stopTimeout());
        assertEquals(OptionValues.duration("1h"), Args.parseDuration("--x", "1h"), "the CLI's parser is the library's");
        ProgramSpec yes = ini("stdout_logfile = /l/out.log\nredirect_stderr = yes");
        assertEquals(Path.of("/l/out.log"), yes.stderrLog(), "yes means true");
        assertEquals(false, ini("stopasgroup = off").signalGroup());
        assertEquals(cli(List.of("--map-signal", "TERM:QUIT", "--map-signal", "HUP:USR1")),
                ini("signal_map = TERM:QUIT,HUP:USR1"), "a repeated flag adds up like a list");
        assertEquals(cli(List.of("--env", "A=1", "--env", "B=2")), ini("environment = A=1\nenv = B=2"));
    }

    @Test
    void configErrorsNameFileAndLineOfTheKey() {
        assertIniError("redirect_stderr = maybe", ":3: redirect_stderr: needs true or false");
        assertIniError("stopwaitsecs = soon", ":3: stopwaitsecs: needs a duration");
        assertIniError("startsecs = -1", ":3: startsecs: must not be negative");
        assertIniError("exitcodes = 0,256", ":3: exitcodes: needs exit codes");
        assertIniError("logfile_maxbytes = lots", ":3: logfile_maxbytes: needs a size");
        assertIniError("startsecs = 1\nstart_seconds = 2", ":4: start_seconds: already set on line 3 as startsecs");
        assertIniError("numprocs = 0", ":3: numprocs: must be between 1 and 1000");
        assertIniError("stderr_log = /e\nredirect_stderr = true", ":1: [program:p]: ");
        assertIniError("program_log = /a\nstdout_logfile = /o", ":4: stdout_logfile: the stdout log is already set");
    }

    @Test
    void commandLineErrorsNameTheFlag() {
        assertCliError(List.of("--stop-timeout", "soon"), "--stop-timeout: needs a duration");
        assertCliError(List.of("--start-seconds", "-2s"), "--start-seconds: must not be negative");
        assertCliError(List.of("--exit-codes", "x"), "--exit-codes: needs exit codes");
        assertCliError(List.of("--restart", "now", "--restart", "never"), "--restart is given more than once");
        assertCliError(List.of("--log-max-bytes", "1TB"), "--log-max-bytes: needs a size");
        assertCliError(List.of("--stderr-log", "/e", "--program-log", "/a"), "exclude each other");
        assertCliError(List.of("--stdout-log", "/o", "--program-log", "/a"), "--program-log: the stdout log is already set");
    }

    @Test
    void helpListsEveryFlagWithTheBuildersDefault() {
        String help = new SuperviseCommand().usage();
        for (ProgramOption o : ProgramOptions.all()) {
            assertTrue(help.contains("--" + o.flag() + o.metavar().map(m -> " " + m).orElse("")), o.flag());
        }
        assertTrue(help.matches("(?s).*--stop-timeout D +then SIGKILL \\(default 10s\\).*"), help);
        assertTrue(help.contains("stop_timeout (stopwaitsecs)"), help);
        String prefork = new PreforkCommand().usage();
        assertTrue(prefork.matches("(?s).*--restart P .*?\\(default\\s+always\\).*"), "prefork's own default: " + prefork);
        assertTrue(!prefork.contains("--numprocs"), "prefork's copies are --workers");
    }

    private static ProgramSpec.Builder base() {
        return ProgramSpec.builder("p", List.of("/bin/true"));
    }

    private static ProgramSpec cli(List<String> options) throws UsageException {
        List<String> argv = new ArrayList<>(options);
        argv.addAll(List.of("--", "/bin/true"));
        return SuperviseArgs.program(SuperviseArgs.parse("supervise", argv, java.util.Set.of()), base());
    }

    private ProgramSpec ini(String lines) throws Exception {
        Path f = dir.resolve("programs.ini");
        Files.writeString(f, "[program:p]\ncommand = /bin/true\n" + lines + "\n");
        List<ProgramSpec> specs = SupervisorConfig.read(f);
        assertEquals(1, specs.size());
        return specs.get(0);
    }

    private void assertIniError(String lines, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ini(lines));
        assertTrue(e.getMessage().contains("programs.ini" + part), e.getMessage());
    }

    private static void assertCliError(List<String> options, String part) {
        UsageException e = assertThrows(UsageException.class, () -> cli(options));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
