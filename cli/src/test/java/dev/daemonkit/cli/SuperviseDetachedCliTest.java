package dev.daemonkit.cli;

import static dev.daemonkit.testkit.Processes.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.testkit.Cli;
import dev.daemonkit.testkit.Leftovers;
import dev.daemonkit.testkit.Processes;
import dev.daemonkit.testkit.Scripts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a newcomer met with a supervisor (newcomer audit helper-13): a detached supervisor ran its
 * programs in "/" (the README's prefork example served the whole file system), --map-signal
 * TERM:QUIT did nothing to the supervisor's own TERM, ctl stop of the only program ended the
 * supervisor, ctl start of a program still stopping was dropped, and a detached supervisor
 * answered "started" for a program already crash-looping.
 */
class SuperviseDetachedCliTest {
    @TempDir
    Path dir;
    @RegisterExtension
    final Leftovers leftovers = new Leftovers();

    @Test
    void aDetachedSupervisorsProgramsRunWhereItWasStarted() throws Exception {
        Path launch = Files.createDirectory(dir.resolve("app"));
        Path pidfile = dir.resolve("wd.pid");
        leftovers.stop(pidfile);
        Cli.Result up = Cli.run(launch, "supervise", "--pidfile", pidfile.toString(), "--start-seconds", "0", "--",
                "sh", "-c", "pwd > where; exec sleep 300");
        assertEquals(0, up.exitCode(), up.all());
        assertTrue(eventually(Duration.ofSeconds(10), () -> Files.exists(launch.resolve("where"))), "ran in " + launch);
        assertEquals(launch.toRealPath().toString(), Files.readString(launch.resolve("where")).trim());
        assertEquals(0, Cli.run("stop", "--pidfile", pidfile.toString()).exitCode());
    }

    @Test
    void mapSignalRewritesTheTermThatStopsTheSupervisor() throws Exception {
        Path out = dir.resolve("sup.out");
        Process sup = new ProcessBuilder(Cli.command("supervise", "--start-seconds", "0", "--map-signal", "TERM:QUIT", "--",
                "sh", "-c", "trap 'echo got QUIT; exit 0' QUIT; trap 'echo got TERM; exit 9' TERM; echo up;"
                        + " while :; do sleep 0.1; done"))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            assertTrue(eventually(Duration.ofSeconds(20), () -> Scripts.textOf(out).contains("up\n")), "program up");
            Posix.kill((int) sup.pid(), Signal.SIGTERM);
            assertTrue(sup.waitFor(20, TimeUnit.SECONDS), "supervisor exited");
            String log = Scripts.textOf(out);
            assertEquals(0, sup.exitValue(), log);
            assertTrue(log.contains("got QUIT") && !log.contains("got TERM"), log);
            assertTrue(log.contains("shutting down 1 program(s) on SIGTERM"), log);
        } finally {
            sup.destroyForcibly().waitFor();
        }
    }

    @Test
    void ctlStopKeepsTheOnlyProgramsSupervisorAndCtlStartWaitsForAStopUnderWay() throws Exception {
        Path pidfile = dir.resolve("cs.pid");
        leftovers.stop(pidfile);
        Cli.Result up = Cli.run("supervise", "--pidfile", pidfile.toString(), "--start-seconds", "0", "--stop-timeout", "2s",
                "--", "sh", "-c", "trap '' TERM; while :; do sleep 0.2; done");
        assertEquals(0, up.exitCode(), up.all());
        long supervisor = Processes.readPid(pidfile).orElseThrow();
        Cli.Result stop = ctl(pidfile, "stop", "all");
        assertEquals(0, stop.exitCode(), stop.all());
        assertTrue(stop.stdout().contains("STOPPING"), "the program ignores TERM: still stopping: " + stop.all());
        Cli.Result start = ctl(pidfile, "start", "all"); // while it is still STOPPING
        assertEquals(0, start.exitCode(), start.all());
        assertTrue(eventually(Duration.ofSeconds(10), () -> ctl(pidfile, "status").stdout().contains("RUNNING")),
                "started once the stop was done: " + ctl(pidfile, "status").all());
        Cli.Result again = ctl(pidfile, "stop", "all");
        assertEquals(0, again.exitCode(), again.all());
        assertTrue(eventually(Duration.ofSeconds(10), () -> ctl(pidfile, "status").stdout().contains("STOPPED")),
                ctl(pidfile, "status").all());
        Thread.sleep(300);
        assertTrue(Processes.alive(supervisor), "a program stopped by ctl does not end the supervisor");
        assertEquals(0, ctl(pidfile, "status").exitCode());
        assertEquals(0, Cli.run("stop", "--pidfile", pidfile.toString()).exitCode());
        assertFalse(Processes.alive(supervisor));
    }

    @Test
    void aDetachedSupervisorWhoseProgramGoesFatalAtOnceFailsItsStart() throws Exception {
        Path pidfile = dir.resolve("fatal.pid");
        leftovers.stop(pidfile);
        Cli.Result r = Cli.run("supervise", "--pidfile", pidfile.toString(), "--log", dir.resolve("fatal.log").toString(),
                "--start-seconds", "500ms", "--start-retries", "1", "--", "sh", "-c", "echo 'config missing' >&2; exit 3");
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.stderr().contains("program sh entered FATAL"), r.all());
        assertTrue(r.stderr().contains("config missing"), "the log's tail is shown: " + r.all());
        assertTrue(eventually(Duration.ofSeconds(10), () -> !Files.exists(pidfile)), "the supervisor is gone");
    }

    /**
     * A program log that is an administrator's symlink cannot be rotated by name (the name is the
     * link): the supervisor says so and writes on, instead of looping on the rotation at 100 % CPU
     * with its pump's lock held, deaf to ctl and to SIGTERM (attacker re-test helper-15).
     */
    @Test
    void aSymlinkedProgramLogIsWrittenOnNotRotatedInALoop() throws Exception {
        Path real = Files.createDirectory(dir.resolve("real"));
        Path links = Files.createDirectory(dir.resolve("logs"));
        Files.createSymbolicLink(links.resolve("app.log"), real.resolve("app.log"));
        Path pidfile = dir.resolve("ln.pid");
        leftovers.stop(pidfile);
        Path supLog = dir.resolve("ln-supervisor.log");
        Cli.Result up = Cli.run("supervise", "--pidfile", pidfile.toString(), "--log", supLog.toString(), "--start-seconds",
                "0", "--stdout-log", links.resolve("app.log").toString(), "--log-max-bytes", "2KB", "--", "sh", "-c",
                "i=0; while [ $i -lt 500 ]; do echo \"line $i of the program's output\"; i=$((i+1)); done; exec sleep 300");
        assertEquals(0, up.exitCode(), up.all());
        assertTrue(eventually(Duration.ofSeconds(15), () -> Scripts.textOf(real.resolve("app.log")).contains("line 499 of")),
                "all 500 lines written: " + Scripts.textOf(supLog));
        assertTrue(Scripts.textOf(supLog).contains("not rotated: " + links.resolve("app.log") + " is not the file open"),
                Scripts.textOf(supLog));
        Cli.Result status = ctl(pidfile, "status");
        assertEquals(0, status.exitCode(), status.all());
        long t = System.nanoTime();
        assertEquals(0, Cli.run("stop", "--pidfile", pidfile.toString()).exitCode());
        assertTrue(System.nanoTime() - t < Duration.ofSeconds(20).toNanos(), "the supervisor stopped");
    }

    private static Cli.Result ctl(Path pidfile, String... request) {
        String[] argv = new String[request.length + 3];
        argv[0] = "ctl";
        argv[1] = "--pidfile";
        argv[2] = pidfile.toString();
        System.arraycopy(request, 0, argv, 3, request.length);
        try {
            return Cli.run(argv);
        } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
