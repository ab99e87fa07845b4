package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.testkit.Cli;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** daemonkit ps and daemonkit demo, run as a user would. */
class PsDemoCliTest {
    @Test
    void psListsProcessesAndLimits() throws Exception {
        Cli.Result r = Cli.run("ps");
        assertEquals(0, r.exitCode(), r.all());
        assertTrue(r.stdout().contains("PID    PPID"), r.all());
        assertTrue(r.stdout().contains(" " + Posix.getpid() + " "), "this test JVM is listed");
        assertTrue(r.stdout().contains("pid_max"), r.all());
    }

    @Test
    void psShowsOurZombieWithUsAsParent() throws Exception {
        int z = Posix.forkExit(0);
        try {
            Cli.Result r = Cli.run("ps", "--zombies");
            assertEquals(0, r.exitCode(), r.all());
            assertTrue(Pattern.compile("(?m)^\\s*" + z + "\\s+" + Posix.getpid() + "\\s+Z").matcher(r.stdout()).find(), r.all());
            Cli.Result kids = Cli.run("ps", "--children", Integer.toString(Posix.getpid()), "--zombies");
            assertEquals(0, kids.exitCode(), kids.all());
            assertTrue(kids.stdout().contains(" " + z + " "), kids.all());
        } finally {
            assertEquals(new WaitStatus.Exited(z, 0), Posix.waitpid(z, 0));
        }
    }

    @Test
    void psBadInput() throws Exception {
        assertEquals(2, Cli.run("ps", "--children", "abc").exitCode());
        assertEquals(2, Cli.run("ps", "--all").exitCode());
        Cli.Result missing = Cli.run("ps", "--children", "2147483646");
        assertEquals(1, missing.exitCode());
        assertTrue(missing.stderr().contains("no process with pid 2147483646"), missing.all());
    }

    @Test
    void demoZombieShowsThemThenReapsThem() throws Exception {
        Cli.Result r = Cli.run("demo", "zombie");
        assertEquals(0, r.exitCode(), r.all());
        Matcher m = Pattern.compile("(?m)^\\s*(\\d+)\\s+(\\d+)\\s+\\d+\\s+\\d+\\s+\\S+\\s+Z\\b").matcher(r.stdout());
        int zombies = 0;
        while (m.find()) {
            zombies++;
        }
        assertEquals(3, zombies, r.stdout());
        assertTrue(r.stdout().contains("After reaping: 0 zombie children"), r.stdout());
    }

    @Test
    void demoOrphanShowsReparenting() throws Exception {
        Cli.Result r = Cli.run("demo", "orphan");
        assertEquals(0, r.exitCode(), r.all());
        assertTrue(r.stdout().contains("is an orphan now"), r.stdout());
        assertTrue(r.stdout().contains("that is us: a subreaper adopts orphans"), r.stdout());
        assertTrue(r.stdout().contains("killed by SIGTERM"), r.stdout());
    }

    @Test
    void demoNeedsAKnownName() throws Exception {
        Cli.Result r = Cli.run("demo", "vampire");
        assertEquals(2, r.exitCode());
        assertTrue(r.stderr().contains("'zombie' or 'orphan'"), r.all());
    }
}
