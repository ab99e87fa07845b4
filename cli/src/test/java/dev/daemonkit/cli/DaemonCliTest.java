package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.process.ProcessInfo;
import dev.daemonkit.process.ProcessTable;
import dev.daemonkit.testkit.Cli;
import dev.daemonkit.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** daemonkit start / stop / status / restart around plain programs, end to end. */
class DaemonCliTest {
    @TempDir
    Path dir;
    private final List<Long> started = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        // Whatever a failed assertion left behind: kill by pid (only pids these tests started).
        started.forEach(Processes::killAndWait);
        try (var files = Files.list(dir)) {
            files.filter(f -> f.toString().endsWith(".pid")).forEach(f -> Processes.readPid(f).ifPresent(Processes::killAndWait));
        } catch (Exception ignored) {
            // temp dir already gone
        }
    }

    private long startedPid(Path pidfile) {
        long pid = Processes.readPid(pidfile).orElseThrow(() -> new AssertionError("no pid in " + pidfile));
        started.add(pid);
        return pid;
    }

    @Test
    void startDaemonizesAPlainProgramAndStopRemovesIt() throws Exception {
        Path pidfile = dir.resolve("d.pid");
        Path log = dir.resolve("d.log");
        Path work = Files.createDirectory(dir.resolve("work"));
        Cli.Result r = Cli.run("start", "--pidfile", pidfile.toString(), "--log", log.toString(), "--chdir",
                work.toString(), "--umask", "027", "--", "sh", "-c", "echo hello from the daemon; exec sleep 60");
        assertEquals(0, r.exitCode(), r.all());
        long pid = startedPid(pidfile);
        assertTrue(r.stdout().contains("started (pid " + pid + ")"), r.all());

        ProcessInfo p = ProcessTable.of((int) pid).orElseThrow();
        assertEquals(pid, p.sid(), "own session");
        assertEquals(0, p.ttyNr(), "no controlling terminal");
        ProcessInfo parent = ProcessTable.of(p.ppid()).orElse(null);
        assertTrue(parent == null || !parent.commandText().contains("dev.daemonkit.cli.Main"), "launcher is gone: " + parent);
        assertEquals("/dev/null", Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/0")).toString());
        assertEquals(work.toRealPath(), Files.readSymbolicLink(Path.of("/proc/" + pid + "/cwd")));
        assertEquals("0027", Processes.status(pid, "Umask").orElseThrow());
        long ignored = Long.parseLong(Processes.status(pid, "SigIgn").orElseThrow(), 16);
        for (int sig : new int[] {1, 13, 21, 22}) { // SIGHUP, SIGPIPE, SIGTTIN, SIGTTOU
            assertTrue((ignored & (1L << (sig - 1))) != 0, "signal " + sig + " ignored: " + Long.toHexString(ignored));
        }
        assertTrue(Processes.eventually(Duration.ofSeconds(5), () -> read(log).contains("hello from the daemon")));

        Cli.Result st = Cli.run("status", "--pidfile", pidfile.toString());
        assertEquals(0, st.exitCode(), st.all());
        assertTrue(st.stdout().contains("running (pid " + pid + ")") && st.stdout().contains("sleep 60"), st.all());

        Cli.Result stop = Cli.run("stop", "--pidfile", pidfile.toString());
        assertEquals(0, stop.exitCode(), stop.all());
        assertTrue(stop.stdout().contains("stopped (pid " + pid + ")"), stop.all());
        assertFalse(Processes.alive(pid));
        assertFalse(Files.exists(pidfile));
        assertEquals(3, Cli.run("status", "--pidfile", pidfile.toString()).exitCode());
        Cli.Result again = Cli.run("stop", "--pidfile", pidfile.toString());
        assertEquals(0, again.exitCode());
        assertTrue(again.stdout().contains("not running"), again.all());
    }

    @Test
    void twentyConcurrentStartsGiveExactlyOneDaemon() throws Exception {
        Path pidfile = dir.resolve("one.pid");
        String token = "7" + (UUID.randomUUID().getLeastSignificantBits() & 0xffff) + ".5";
        ExecutorService pool = Executors.newFixedThreadPool(20);
        List<Future<Cli.Result>> results = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                results.add(pool.submit(() -> Cli.run("start", "--pidfile", pidfile.toString(), "--", "sleep", token)));
            }
            int startedCount = 0;
            for (Future<Cli.Result> f : results) {
                Cli.Result r = f.get();
                assertEquals(0, r.exitCode(), r.all());
                if (r.stdout().startsWith("started")) {
                    startedCount++;
                } else {
                    assertTrue(r.stdout().startsWith("already running"), r.all());
                }
            }
            long pid = startedPid(pidfile);
            assertEquals(1, startedCount);
            long sleepers = ProcessTable.all().stream()
                    .filter(p -> p.cmdline().equals(List.of("sleep", token)) && !p.isZombie()).count();
            assertEquals(1, sleepers, "exactly one daemon");
            assertTrue(Processes.alive(pid));
        } finally {
            pool.shutdownNow();
            Cli.run("stop", "--pidfile", pidfile.toString());
        }
    }

    @Test
    void killedDaemonShowsDeadThenStartRecovers() throws Exception {
        Path pidfile = dir.resolve("k.pid");
        assertEquals(0, Cli.run("start", "--pidfile", pidfile.toString(), "--", "sleep", "60").exitCode());
        long pid = startedPid(pidfile);
        Processes.killAndWait(pid);
        Cli.Result st = Cli.run("status", "--pidfile", pidfile.toString());
        assertEquals(1, st.exitCode(), st.all());
        assertTrue(st.stdout().contains("dead but pidfile exists"), st.all());

        Cli.Result r = Cli.run("start", "--pidfile", pidfile.toString(), "--", "sleep", "60");
        assertEquals(0, r.exitCode(), r.all());
        long pid2 = startedPid(pidfile);
        assertNotEquals(pid, pid2);
        assertTrue(r.stderr().contains("taking over stale pidfile"), r.all());
        assertEquals(0, Cli.run("status", "--pidfile", pidfile.toString()).exitCode());
        assertEquals(0, Cli.run("stop", "--pidfile", pidfile.toString()).exitCode());
        assertFalse(Processes.alive(pid2));
    }

    @Test
    void stopEscalatesToSigkillAndCleansUpTheSession() throws Exception {
        Path pidfile = dir.resolve("t.pid");
        Cli.Result r = Cli.run("start", "--pidfile", pidfile.toString(), "--", "sh", "-c", "trap '' TERM; sleep 60");
        assertEquals(0, r.exitCode(), r.all());
        long pid = startedPid(pidfile);
        List<Integer> kids = ProcessTable.children((int) pid).stream().map(ProcessInfo::pid).toList();
        kids.forEach(k -> started.add((long) k));
        Cli.Result stop = Cli.run("stop", "--pidfile", pidfile.toString(), "--timeout", "500ms");
        assertEquals(0, stop.exitCode(), stop.all());
        assertTrue(stop.stdout().contains("killed with SIGKILL"), stop.all());
        // The leftover is named by its command line, read before the signal that ends it.
        assertTrue(stop.stderr().matches("(?s).*sent SIGTERM to pid \\d+ (holding the pidfile's lock|left in the daemon's"
                + " session): sleep 60\n.*"), stop.all());
        assertFalse(Processes.alive(pid));
        for (int k : kids) {
            assertTrue(Processes.waitGone(k, Duration.ofSeconds(5)), "child " + k + " of the daemon is gone too");
        }
        assertFalse(Files.exists(pidfile));
    }

    @Test
    void restartReplacesTheDaemon() throws Exception {
        Path pidfile = dir.resolve("r.pid");
        assertEquals(0, Cli.run("start", "--pidfile", pidfile.toString(), "--", "sleep", "60").exitCode());
        long first = startedPid(pidfile);
        Cli.Result r = Cli.run("restart", "--pidfile", pidfile.toString(), "--", "sleep", "61");
        assertEquals(0, r.exitCode(), r.all());
        long second = startedPid(pidfile);
        assertNotEquals(first, second);
        assertFalse(Processes.alive(first));
        assertTrue(Processes.alive(second));
        assertEquals(0, Cli.run("stop", "--pidfile", pidfile.toString()).exitCode());
    }

    @Test
    void aProgramThatDiesAtOnceFailsWithItsLogTail() throws Exception {
        Path pidfile = dir.resolve("f.pid");
        Path log = dir.resolve("f.log");
        Cli.Result r = Cli.run("start", "--pidfile", pidfile.toString(), "--log", log.toString(), "--", "sh", "-c",
                "echo cannot open config >&2; exit 3");
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.stderr().contains("exited with status 3"), r.all());
        assertTrue(r.stderr().contains("cannot open config"), r.all());
        assertFalse(Files.exists(pidfile), "no pidfile left behind");
    }

    @Test
    void theDefaultCheckWaitsASecondAndGraceSettledReturnsOnceTheProgramIsStill() throws Exception {
        Path pidfile = dir.resolve("s.pid");
        String p = pidfile.toString();
        // Waits on something (here a timer; a database or DNS looks the same), then fails: the
        // default second sees it fail; --grace settled sees it asleep with no CPU used, started.
        String waitsThenFails = "sleep 0.3; exit 6";
        Cli.Result whole = Cli.run("start", "--pidfile", p, "--", "sh", "-c", waitsThenFails);
        assertEquals(1, whole.exitCode(), whole.all());
        assertTrue(whole.stderr().contains("exited with status 6"), whole.all());
        Cli.Result settled = Cli.run("start", "--pidfile", p, "--grace", "settled", "--", "sh", "-c", waitsThenFails);
        assertEquals(0, settled.exitCode(), settled.all());
        startedPid(pidfile);
        Cli.Result status = Cli.run("status", "--pidfile", p);
        for (int i = 0; i < 50 && status.exitCode() == 0; i++) { // it fails 0.3 s after its start
            Thread.sleep(100);
            status = Cli.run("status", "--pidfile", p);
        }
        assertEquals(1, status.exitCode(), "dead, its pidfile left: " + status.all());
        assertEquals(0, Cli.run("stop", "--pidfile", p).exitCode()); // removes the stale pidfile
        // Busy until it fails (tens of milliseconds of CPU), itself or in a child it waits for:
        // never settled, so --grace settled still fails the start.
        String busy = "i=0; while [ $i -lt 50000 ]; do i=$((i+1)); done";
        Cli.Result self = Cli.run("start", "--pidfile", p, "--grace", "settled", "--", "sh", "-c", busy + "; exit 4");
        assertEquals(1, self.exitCode(), self.all());
        assertTrue(self.stderr().contains("exited with status 4"), self.all());
        Cli.Result child = Cli.run("start", "--pidfile", p, "--grace", "settled", "--", "sh", "-c",
                "sh -c '" + busy + "'; exit 5");
        assertEquals(1, child.exitCode(), child.all());
        assertTrue(child.stderr().contains("exited with status 5"), child.all());
        assertFalse(Files.exists(pidfile), "no pidfile left behind");
        assertUsage(Cli.run("start", "--pidfile", p, "--grace", "soon", "--", "sleep", "1"), "or settled: soon");
    }

    @Test
    void badInputStartsNothing() throws Exception {
        Path pidfile = dir.resolve("b.pid");
        String p = pidfile.toString();
        assertUsage(Cli.run("start", "--pidfile", p, "sleep", "1"), "after --");
        // The command's name is said once, by the prefix (it was "daemonkit start: start needs ...").
        assertUsage(Cli.run("start", "--pidfile", p), "daemonkit start: the command to run goes after --, e.g.");
        assertUsage(Cli.run("start", "--pidfile", p, "--"), "missing command");
        assertUsage(Cli.run("start", "--pidfile", p, "--frobnicate", "--", "sleep", "1"), "unknown option: --frobnicate");
        assertUsage(Cli.run("start", "--", "sleep", "1"), "daemonkit start: --pidfile is required");
        assertUsage(Cli.run("start", "--pidfile", p, "--", "no-such-program-xyz"), "no-such-program-xyz: command not found");
        assertUsage(Cli.run("start", "--pidfile", "/nonexistent-dir/x.pid", "--", "sleep", "1"), "does not exist");
        assertUsage(Cli.run("start", "--pidfile", p, "--umask", "999", "--", "sleep", "1"), "octal");
        assertUsage(Cli.run("start", "--pidfile", p, "--chdir", dir.resolve("nope").toString(), "--", "sleep", "1"),
                "working directory");
        assertUsage(Cli.run("stop", "--pidfile", p, "--timeout", "soon"), "duration");
        assertUsage(Cli.run("stop", "--pidfile", p, "--signal", "NOPE"), "--signal");
        assertFalse(Files.exists(pidfile));
    }

    @Test
    void runStaysInTheForegroundAndPassesTheExitStatus() throws Exception {
        Cli.Result r = Cli.run("run", "--chdir", dir.toString(), "--", "sh", "-c", "pwd; exit 7");
        assertEquals(7, r.exitCode(), r.all());
        assertTrue(r.stdout().contains(dir.toRealPath().toString()), r.all());
    }

    private static void assertUsage(Cli.Result r, String text) {
        assertEquals(2, r.exitCode(), r.all());
        assertTrue(r.stderr().contains(text), "expected '" + text + "' in: " + r.all());
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "";
        }
    }
}
