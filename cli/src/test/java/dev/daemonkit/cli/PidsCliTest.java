package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.ProcessControl;
import dev.daemonkit.process.PidsCgroup;
import dev.daemonkit.process.PidsSandbox;
import dev.daemonkit.testkit.Cli;
import dev.daemonkit.testkit.JsonParser;
import dev.daemonkit.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** daemonkit pids, run as a user would: the limits, a command under a cap, the zombie experiment. */
class PidsCliTest {

    private static long sysctl(String name) throws IOException {
        return Long.parseLong(Processes.read(Path.of("/proc/sys/kernel", name)).trim());
    }

    /** Whether a line of stdout starts with this pattern. */
    private static boolean line(Cli.Result r, String regex) {
        return java.util.regex.Pattern.compile("(?m)^" + regex).matcher(r.stdout()).find();
    }

    /** The last line of stdout that is a JSON object. */
    private static Map<String, Object> lastJson(Cli.Result r) {
        List<String> lines = r.stdout().lines().filter(l -> l.startsWith("{")).toList();
        assertFalse(lines.isEmpty(), "no JSON in: " + r.all());
        return JsonParser.object(lines.getLast());
    }

    private static long num(Object o) {
        return Math.round((Double) o);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    /** Our sandboxes in the hierarchy now: none may be left behind. */
    private static Set<String> sandboxes() throws IOException {
        Set<String> s = new TreeSet<>();
        var cg = PidsCgroup.ofCurrentThread();
        if (cg.isPresent()) {
            for (PidsCgroup c : cg.get().chain()) {
                try (var dirs = Files.list(c.path())) {
                    dirs.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(PidsSandbox.PREFIX)).forEach(s::add);
                }
            }
        }
        return s;
    }

    @Test
    void listsEveryLimitAsText() throws Exception {
        Cli.Result r = Cli.run("pids");
        assertEquals(0, r.exitCode(), r.all());
        assertTrue(line(r, "pid_max +" + sysctl("pid_max") + " "), r.stdout());
        assertTrue(line(r, "threads-max +" + sysctl("threads-max") + " "), r.stdout());
        ProcessControl.RLimit nproc = ProcessControl.getrlimit(ProcessControl.Resource.NPROC);
        assertTrue(r.stdout().contains("RLIMIT_NPROC           soft " + nproc.softText()), r.stdout());
        PidsCgroup.ofCurrentThread().ifPresent(cg -> assertTrue(r.stdout().contains(cg.path().toString()), r.stdout()));
        assertTrue(line(r, "headroom +\\d+ more tasks, limited by "), r.stdout());
        assertEquals("", r.stderr());
    }

    @Test
    void jsonMatchesProcAndTheCgroupFiles() throws Exception {
        Cli.Result r = Cli.run("pids", "--json");
        assertEquals(0, r.exitCode(), r.all());
        Map<String, Object> j = lastJson(r);
        assertEquals(sysctl("pid_max"), num(j.get("pid_max")));
        assertEquals(sysctl("threads-max"), num(j.get("threads_max")));
        ProcessControl.RLimit nproc = ProcessControl.getrlimit(ProcessControl.Resource.NPROC);
        Map<String, Object> rl = map(j.get("rlimit_nproc"));
        assertEquals(nproc.soft() == ProcessControl.RLimit.INFINITY ? null : (double) nproc.soft(), rl.get("soft"));
        assertEquals((double) Posix.getuid(), rl.get("uid"));
        assertEquals(Posix.getuid() != 0, rl.get("enforced"));
        // The CLI's JVM is a child of this one, in the same cgroup: the chain up to the root.
        List<Object> cgroups = list(j.get("cgroups"));
        List<PidsCgroup> chain = PidsCgroup.ofCurrentThread().map(PidsCgroup::chain).orElse(List.of());
        assertEquals(chain.size(), cgroups.size(), j.toString());
        for (int i = 0; i < chain.size(); i++) {
            Map<String, Object> c = map(cgroups.get(i));
            assertEquals(chain.get(i).path().toString(), c.get("path"));
            Path max = chain.get(i).path().resolve("pids.max");
            String file = Files.exists(max) ? Processes.read(max).trim() : "max";
            assertEquals(file.equals("max") ? null : Double.valueOf(file), c.get("pids_max"), c.toString());
        }
        // Every limit with its headroom; the tightest is the smallest.
        long min = Long.MAX_VALUE;
        String tightest = null;
        for (Object o : list(j.get("limits"))) {
            Map<String, Object> l = map(o);
            long headroom = num(l.get("headroom"));
            assertEquals(Math.max(0, num(l.get("limit")) - num(l.get("in_use"))), headroom, l.toString());
            if (headroom < min) {
                min = headroom;
                tightest = (String) l.get("name");
            }
        }
        assertEquals(sysctl("pid_max") - 1, num(map(list(j.get("limits")).getFirst()).get("limit")));
        assertEquals(min, num(j.get("headroom")));
        assertEquals(tightest, j.get("tightest"));
    }

    @Test
    void insideACappedCgroupTheChainAndHeadroomShowIt() throws Exception {
        String why = dev.daemonkit.process.PidsSandbox.unavailableReason().orElse(null);
        assumeTrue(why == null, why);
        List<String> inner = new ArrayList<>(List.of("pids", "--max", "300", "--"));
        inner.addAll(Cli.command("pids", "--json"));
        Cli.Result r = Cli.run(inner.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.all());
        Map<String, Object> j = JsonParser.object(r.stdout().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow());
        List<Object> cgroups = list(j.get("cgroups"));
        Map<String, Object> own = map(cgroups.getFirst());
        assertTrue(((String) own.get("cgroup")).contains("/" + PidsSandbox.PREFIX), own.toString());
        assertEquals(300.0, own.get("pids_max"));
        assertEquals(PidsCgroup.ofCurrentThread().orElseThrow().chain().size() + 1, cgroups.size());
        assertEquals("pids.max of cgroup " + own.get("cgroup"), j.get("tightest"));
        assertEquals(300 - num(own.get("pids_current")), num(j.get("headroom")));
        assertTrue(r.stdout().contains("pids.max 300: the kernel refused 0 forks"), r.stdout());
        assertFalse(Files.exists(Path.of((String) own.get("path"))), "removed afterwards");
    }

    @Test
    void maxReportsRefusedForksAndRemovesTheCgroup() throws Exception {
        String why = dev.daemonkit.process.PidsSandbox.unavailableReason().orElse(null);
        assumeTrue(why == null, why);
        Set<String> before = sandboxes();
        Cli.Result r = Cli.run("pids", "--max", "5", "--json", "--", "sh", "-c", "for i in $(seq 20); do sleep 1 & done; wait");
        Map<String, Object> j = lastJson(r);
        assertTrue(num(j.get("refused")) > 0, r.all());
        assertEquals(5.0, j.get("pids_max"));
        if (j.get("peak") != null) {
            assertEquals(5, num(j.get("peak")), "it reached the limit, never more");
        }
        assertEquals(num(j.get("exit_status")), r.exitCode(), "daemonkit exits with the command's status");
        assertTrue(r.stderr().contains("fork"), "the shell said it could not fork: " + r.stderr());
        assertFalse(Files.exists(Path.of((String) j.get("cgroup"))), "the cgroup is gone");
        assertEquals(before, sandboxes());
    }

    @Test
    void maxPassesTheExitStatusOn() throws Exception {
        String why = dev.daemonkit.process.PidsSandbox.unavailableReason().orElse(null);
        assumeTrue(why == null, why);
        Cli.Result exited = Cli.run("pids", "--max", "3", "--", "sh", "-c", "exit 7");
        assertEquals(7, exited.exitCode(), exited.all());
        assertTrue(exited.stdout().contains("sh: exited with code 7"), exited.stdout());
        Cli.Result killed = Cli.run("pids", "--max", "3", "--json", "--", "sh", "-c", "kill -KILL $$");
        assertEquals(128 + 9, killed.exitCode(), killed.all());
        assertEquals("SIGKILL", lastJson(killed).get("signal"));
    }

    @Test
    void zombiesReachExactlyTheirLimitAndNoneIsLeft() throws Exception {
        String why = dev.daemonkit.process.PidsSandbox.unavailableReason().orElse(null);
        assumeTrue(why == null, why);
        Set<String> before = sandboxes();
        Cli.Result r = Cli.run("pids", "--zombies", "50", "--json");
        assertEquals(0, r.exitCode(), r.all());
        Map<String, Object> j = lastJson(r);
        assertEquals(50.0, j.get("zombies"));
        assertEquals(true, j.get("exact"));
        assertEquals(true, j.get("limit_reached"));
        Map<String, Object> fence = map(j.get("fence"));
        assertEquals(50.0, fence.get("room"));
        assertEquals(num(fence.get("max")), num(j.get("charged_at_limit")));
        assertEquals("EAGAIN", map(j.get("refused")).get("errno"));
        assertEquals(50.0, j.get("reaped"));
        assertEquals(0.0, j.get("zombies_left"));
        for (String k : List.of("SIG_IGN", "SA_NOCLDWAIT")) {
            Map<String, Object> a = map(map(j.get("auto_reap")).get(k));
            assertEquals(100.0, a.get("children"), k);
            assertEquals(0.0, a.get("zombies_left"), k);
        }
        assertFalse(Files.exists(Path.of((String) fence.get("where"))));
        assertEquals(before, sandboxes());
        assertNotNull(map(j.get("kernel_memory_per_zombie")).get("sunreclaim_kib"));
        assertEquals(20, list(j.get("curve")).size());
    }

    @Test
    void ctrlCDuringTheExperimentReapsAndRemovesEverything() throws Exception {
        String why = dev.daemonkit.process.PidsSandbox.unavailableReason().orElse(null);
        assumeTrue(why == null, why);
        int n = Math.min(5000, dev.daemonkit.process.ZombieExperiment.safeMaximum() / 2);
        Process p = new ProcessBuilder(Cli.command("pids", "--zombies", Integer.toString(n)))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(false).start();
        try {
            String prefix = PidsSandbox.PREFIX + p.pid() + "-zombies-";
            Path parent = PidsCgroup.ofCurrentThread().orElseThrow().path();
            Path sandbox = null;
            long deadline = System.nanoTime() + 30_000_000_000L;
            // Wait until it is filling its sandbox, then interrupt it as a terminal would.
            while (sandbox == null && p.isAlive() && System.nanoTime() < deadline) {
                try (var dirs = Files.list(parent)) {
                    sandbox = dirs.filter(d -> d.getFileName().toString().startsWith(prefix)).findFirst()
                            .filter(d -> readLong(d.resolve("pids.current")) > 100).orElse(null);
                }
                Thread.sleep(5);
            }
            assertNotNull(sandbox, "the experiment never got going");
            Posix.kill((int) p.pid(), dev.daemonkit.posix.Signal.SIGINT);
            assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "it did not exit after SIGINT");
            String err = new String(p.getErrorStream().readAllBytes());
            assertFalse(Files.exists(sandbox), "the sandbox is removed: " + err);
            // Either it was stopped early (and says so), or it had already finished: both clean.
            assertTrue(p.exitValue() == 130 && err.contains("every child was reaped and the fence removed")
                    || p.exitValue() == 0, p.exitValue() + ": " + err);
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    private static long readLong(Path p) {
        try {
            return Long.parseLong(Processes.read(p).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    @Test
    void badValuesExit2AndCreateNothing() throws Exception {
        Set<String> before = sandboxes();
        List<List<String>> bad = List.of(
                List.of("--zombies", "0"), List.of("--zombies", "abc"), List.of("--zombies", "40000"),
                List.of("--max", "0", "--", "true"), List.of("--max", "x", "--", "true"), List.of("--max", "5"),
                List.of("--", "true"), List.of("--max", "5", "--zombies", "5", "--", "true"),
                List.of("--max", "5", "--", "/nonexistent/program"), List.of("--bogus"), List.of("extra"));
        for (List<String> args : bad) {
            List<String> argv = new ArrayList<>(List.of("pids"));
            argv.addAll(args);
            Cli.Result r = Cli.run(argv.toArray(String[]::new));
            assertEquals(2, r.exitCode(), args + ": " + r.all());
            assertTrue(r.stderr().startsWith("daemonkit pids: "), args + ": " + r.stderr());
            assertEquals("", r.stdout(), args.toString());
        }
        assertEquals(before, sandboxes());
        // More than the machine can spare (below the hard cap): refused before anything is made.
        int safe = dev.daemonkit.process.ZombieExperiment.safeMaximum();
        if (safe + 2000 <= dev.daemonkit.process.ZombieExperiment.HARD_CAP) {
            Cli.Result r = Cli.run("pids", "--zombies", Integer.toString(safe + 2000));
            assertEquals(2, r.exitCode(), r.all());
            assertTrue(r.stderr().contains("kept free for the rest of the machine"), r.stderr());
        }
        assertEquals(before, sandboxes());
    }

    @Test
    void helpDescribesIt() throws Exception {
        Cli.Result r = Cli.run("pids", "--help");
        assertEquals(0, r.exitCode());
        assertTrue(r.stdout().startsWith("usage: daemonkit pids [--json]"), r.stdout());
        assertTrue(Cli.run("--help").stdout().contains("  pids "), "listed among the commands");
    }

    @Test
    void asAnotherUserTheLimitsShowAndTheFallbackIsRlimitNproc(@TempDir Path dir) throws Exception {
        assumeTrue(Posix.geteuid() == 0, "switching to nobody needs root");
        assumeTrue(Processes.hasSetpriv(), "util-linux setpriv is not installed here");
        Cli.Result limits = Cli.runAs("nobody", "pids", "--json");
        assertEquals(0, limits.exitCode(), limits.all());
        Map<String, Object> rl = map(lastJson(limits).get("rlimit_nproc"));
        assertEquals(true, rl.get("enforced"));
        assertTrue(num(rl.get("user_tasks")) > 0, rl.toString());

        Cli.Result max = Cli.runAs("nobody", "pids", "--max", "5", "--", "true");
        assertEquals(1, max.exitCode(), max.all());
        assertTrue(max.stderr().startsWith("daemonkit pids: creating a pids cgroup needs root or "), max.stderr());

        Cli.Result z = Cli.runAs("nobody", "pids", "--zombies", "40", "--json");
        assertEquals(0, z.exitCode(), z.all());
        Map<String, Object> j = lastJson(z);
        assertEquals("RLIMIT_NPROC", map(j.get("fence")).get("kind"));
        Map<String, Object> refused = map(j.get("refused"));
        assertEquals("EAGAIN", refused.get("errno"));
        assertTrue(((String) refused.get("limit")).startsWith("RLIMIT_NPROC "), refused.toString());
        assertEquals(true, j.get("limit_reached"), "the user's tasks reached the lowered RLIMIT_NPROC exactly");
        // The JVM's own threads count too: one that starts or ends meanwhile moves the room by one.
        assertTrue(Math.abs(num(j.get("zombies")) - 40) <= 3, j.toString());
        assertEquals(0.0, j.get("zombies_left"));
    }
}
