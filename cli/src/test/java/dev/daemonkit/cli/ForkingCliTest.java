package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.process.ProcessTable;
import dev.daemonkit.testkit.Cli;
import dev.daemonkit.testkit.Leftovers;
import dev.daemonkit.testkit.Processes;
import dev.daemonkit.testkit.Scripts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code start --forking}: programs that put themselves in the background and write their own
 * pidfile, as nginx and redis do — modelled by a script that double-forks into a session of its
 * own (setsid), writes the pid, and whose first process exits 0.
 */
class ForkingCliTest {
    @TempDir
    Path dir;
    @RegisterExtension
    final Leftovers leftovers = new Leftovers();

    /** A daemon in the nginx manner: fork, setsid, write the pidfile, parent exits 0. */
    private Path forkingScript(String name, String body) throws Exception {
        return Scripts.executable(dir, name, body);
    }

    @Test
    void aForkingProgramIsFollowedThroughItsOwnPidfile() throws Exception {
        Path pidfile = dir.resolve("nginx.pid");
        leftovers.stop(pidfile);
        Path script = forkingScript("mydaemon", "setsid sh -c 'echo $$ > \"$1\"; exec sleep 300' daemon \"$1\" &\nsleep 0.2\nexit 0");
        Cli.Result r = Cli.run("start", "--pidfile", pidfile.toString(), "--forking", "--", script.toString(), pidfile.toString());
        assertEquals(0, r.exitCode(), r.all());
        long daemon = Processes.readPid(pidfile).orElseThrow();
        leftovers.kill(daemon);
        assertTrue(r.stdout().contains("started (pid " + daemon + ")"), r.all());
        assertEquals(daemon, ProcessTable.of((int) daemon).orElseThrow().sid(), "it daemonized itself into a session of its own");

        Cli.Result st = Cli.run("status", "--pidfile", pidfile.toString());
        assertEquals(0, st.exitCode(), st.all());
        assertTrue(st.stdout().contains("running (pid " + daemon + "; started with --forking"), st.all());
        Cli.Result again = Cli.run("start", "--pidfile", pidfile.toString(), "--forking", "--", script.toString(), pidfile.toString());
        assertTrue(again.stdout().contains("already running (pid " + daemon + ")"), again.all());

        // The program rewrites its pidfile (it may run as another user): the record decides.
        long victim = leftovers.sleeper();
        Files.writeString(pidfile, victim + "\n");
        assertTrue(Cli.run("status", "--pidfile", pidfile.toString()).stdout().contains("daemonkit recorded pid " + daemon));
        Cli.Result stop = Cli.run("stop", "--pidfile", pidfile.toString());
        assertEquals(0, stop.exitCode(), stop.all());
        assertTrue(stop.stdout().contains("stopped (pid " + daemon + ")"), stop.all());
        assertTrue(Processes.waitGone(daemon, Duration.ofSeconds(5)));
        assertTrue(Processes.alive(victim), "the pid written in the file was not signalled");
        assertFalse(Files.exists(pidfile.resolveSibling(pidfile.getFileName() + ".daemonkit")), "record removed");
        assertEquals(3, Cli.run("status", "--pidfile", dir.resolve("none.pid").toString()).exitCode());
    }

    @Test
    void restartWorksOnAForkingDaemon() throws Exception {
        Path pidfile = dir.resolve("r.pid");
        leftovers.stop(pidfile);
        Path script = forkingScript("d", "setsid sh -c 'echo $$ > \"$1\"; exec sleep 300' daemon \"$1\" &\nexit 0");
        assertEquals(0, Cli.run("start", "--pidfile", pidfile.toString(), "--forking", "--", script.toString(),
                pidfile.toString()).exitCode());
        long first = Processes.readPid(pidfile).orElseThrow();
        leftovers.kill(first);
        Cli.Result r = Cli.run("restart", "--pidfile", pidfile.toString(), "--forking", "--", script.toString(), pidfile.toString());
        assertEquals(0, r.exitCode(), r.all());
        long second = Processes.readPid(pidfile).orElseThrow();
        leftovers.kill(second);
        assertTrue(Processes.waitGone(first, Duration.ofSeconds(5)));
        assertTrue(Processes.alive(second));
        assertEquals(0, Cli.run("stop", "--pidfile", pidfile.toString()).exitCode());
    }

    @Test
    void forkingFailuresAreExplainedAndLeaveNothingRunning() throws Exception {
        Path pidfile = dir.resolve("f.pid");
        String token = "304.25";
        // Goes to the background but never writes the pidfile.
        Path silent = forkingScript("silent", "sleep " + token + " &\nexit 0");
        Cli.Result r = Cli.run("start", "--pidfile", pidfile.toString(), "--forking", "--ready-timeout", "1s", "--",
                silent.toString());
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.stderr().contains("did not write a pid to " + pidfile), r.all());
        assertTrue(Processes.eventually(Duration.ofSeconds(5), () -> ProcessTable.all().stream()
                .noneMatch(p -> !p.isZombie() && p.commandText().contains(token))), "its background process was stopped");

        // Writes a pid that is not its own.
        long victim = leftovers.sleeper();
        Path liar = forkingScript("liar", "echo " + victim + " > \"$1\"\nexit 0");
        Cli.Result lie = Cli.run("start", "--pidfile", pidfile.toString(), "--forking", "--ready-timeout", "1s", "--",
                liar.toString(), pidfile.toString());
        assertEquals(1, lie.exitCode(), lie.all());
        assertTrue(lie.stderr().contains("names pid " + victim + ", which is not a process daemonkit started"), lie.all());
        assertTrue(Processes.alive(victim));
        Files.deleteIfExists(pidfile);

        // Stays in the foreground.
        Cli.Result fg = Cli.run("start", "--pidfile", pidfile.toString(), "--forking", "--ready-timeout", "1s", "--",
                "sleep", "305.25");
        assertEquals(1, fg.exitCode(), fg.all());
        assertTrue(fg.stderr().contains("must put itself in the background"), fg.all());
        assertTrue(Processes.eventually(Duration.ofSeconds(5), () -> ProcessTable.all().stream()
                .noneMatch(p -> !p.isZombie() && p.commandText().contains("305.25"))));

        assertEquals(2, Cli.run("start", "--pidfile", pidfile.toString(), "--forking", "--grace", "2s", "--", "true").exitCode());
        assertEquals(2, Cli.run("run", "--forking", "--", "true").exitCode());
    }
}
