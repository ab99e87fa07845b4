package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.process.FileLocks;
import dev.daemonkit.testkit.Cli;
import dev.daemonkit.testkit.Leftovers;
import dev.daemonkit.testkit.Processes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, the pidfile side, acted out as the less-privileged party would: pidfiles naming pid 1,
 * a process daemonkit did not start, a daemon rewriting its own pidfile, files that are not
 * pidfiles at all, another user's pidfile. Each must be refused or handled with a clear message
 * and a documented exit code, and nothing but the daemon may ever be signalled.
 */
class PidfileTrustCliTest {
    @TempDir
    Path dir;
    @RegisterExtension
    final Leftovers leftovers = new Leftovers();


    /** What a user would type for --exec: sleep as found in PATH. */
    private static String sleepBinary() throws Exception {
        return dev.daemonkit.process.Spawn.findProgram("sleep");
    }

    @Test
    void pid1AndTheCallersAncestorsAreNeverSignalled() throws Exception {
        Path p = dir.resolve("init.pid");
        Files.writeString(p, "1\n");
        Cli.Result stop = Cli.run("stop", "--pidfile", p.toString());
        assertEquals(1, stop.exitCode(), stop.all());
        assertTrue(stop.stderr().contains("pid 1 is init"), stop.all());
        Cli.Result stated = Cli.run("stop", "--pidfile", p.toString(), "--exec", "/bin/true", "--user", "root");
        assertEquals(1, stated.exitCode(), stated.all());
        assertTrue(stated.stderr().contains("pid 1 is init"), stated.all());
        assertEquals("1\n", Files.readString(p), "the file is left as it was");

        // This test JVM is an ancestor of the CLI it starts: stating its identity changes nothing.
        Files.writeString(p, Posix.getpid() + "\n");
        Cli.Result me = Cli.run("stop", "--pidfile", p.toString(), "--exec", Cli.java());
        assertEquals(1, me.exitCode(), me.all());
        assertTrue(me.stderr().contains("ancestor"), me.all());
    }

    @Test
    void anUnlockedPidfileOfALiveProcessIsReportedHonestlyAndSignalledOnlyWithItsIdentity() throws Exception {
        long victim = leftovers.sleeper();
        Path p = dir.resolve("nginx.pid");
        Files.writeString(p, victim + "\n");

        Cli.Result st = Cli.run("status", "--pidfile", p.toString());
        assertEquals(0, st.exitCode(), st.all());
        assertTrue(st.stdout().contains("running (pid " + victim + "; pidfile not locked, not started by daemonkit"), st.all());

        for (String[] refused : List.of(new String[] {"stop"}, new String[] {"reload"}, new String[] {"reopen-logs", "--force"},
                new String[] {"stop", "--exec", "/bin/true"}, new String[] {"stop", "--user", "nobody"})) {
            List<String> argv = new ArrayList<>(List.of(refused));
            argv.addAll(List.of("--pidfile", p.toString()));
            Cli.Result r = Cli.run(argv.toArray(String[]::new));
            assertEquals(1, r.exitCode(), argv + ": " + r.all());
            assertTrue(Processes.alive(victim), argv + " left it alone");
            assertTrue(Files.exists(p), argv + " kept the file");
        }
        assertTrue(Cli.run("stop", "--pidfile", p.toString()).stderr().contains("--exec"), "says how");
        Cli.Result wrong = Cli.run("status", "--pidfile", p.toString(), "--exec", "/bin/true");
        assertEquals(1, wrong.exitCode(), wrong.all());
        assertTrue(wrong.stdout().contains("not /bin/true") || wrong.stdout().contains("runs"), wrong.all());

        Cli.Result ok = Cli.run("stop", "--pidfile", p.toString(), "--exec", sleepBinary(), "--user", "root");
        assertEquals(0, ok.exitCode(), ok.all());
        assertTrue(ok.stdout().contains("stopped (pid " + victim + ")"), ok.all());
        assertTrue(Processes.waitGone(victim, Duration.ofSeconds(5)));
        assertFalse(Files.exists(p), "now stale, so removed");
    }

    @Test
    void filesThatAreNotPidfilesAreNeverTouchedAndNeverHang() throws Exception {
        Path conf = dir.resolve("app.conf");
        Files.writeString(conf, "listen = 8080\n");
        Path fifo = dir.resolve("fifo.pid");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        Path link = dir.resolve("link.pid");
        Files.createSymbolicLink(link, conf);
        Path subdir = Files.createDirectory(dir.resolve("dir.pid"));
        for (Path p : List.of(conf, fifo, link, subdir, Path.of("/dev/null"))) {
            Cli.Result stop = Cli.run("stop", "--pidfile", p.toString());
            assertEquals(2, stop.exitCode(), p + ": " + stop.all());
            assertTrue(stop.stderr().contains("nothing was signalled or removed"), stop.all());
            Cli.Result st = Cli.run("status", "--pidfile", p.toString());
            assertEquals(4, st.exitCode(), p + ": " + st.all());
            Cli.Result start = Cli.run("start", "--pidfile", p.toString(), "--", "sleep", "300");
            assertEquals(2, start.exitCode(), p + ": " + start.all());
            assertTrue(Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS), p + " still there");
        }
        assertEquals("listen = 8080\n", Files.readString(conf), "never truncated");
        assertTrue(Cli.run("status", "--pidfile", conf.toString()).stderr().contains("not a pid"));
        assertTrue(Cli.run("start", "--pidfile", subdir.toString(), "--", "true").stderr().contains("is a directory"));
    }

    @Test
    void aDaemonThatRewritesItsPidfileCannotRedirectStopOrReopenLogs() throws Exception {
        assumeTrue(Posix.geteuid() == 0, "the privilege-drop half needs root");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path p = dir.resolve("d.pid");
        Path log = dir.resolve("d.log");
        leftovers.stop(p);
        long victim = leftovers.sleeper();
        // As nobody, the daemon tries both ways to write another pid into its pidfile.
        Cli.Result r = Cli.run("start", "--pidfile", p.toString(), "--log", log.toString(), "--user", "nobody", "--",
                "sh", "-c", "echo " + victim + " >&4 || echo fd4-refused; echo " + victim
                        + " > /proc/self/fd/4 || echo reopen-refused; trap 'echo got-USR1' USR1; while :; do sleep 0.2; done");
        assertEquals(0, r.exitCode(), r.all());
        long daemon = Processes.readPid(p).orElseThrow();
        leftovers.kill(daemon);
        assertTrue(Processes.eventually(Duration.ofSeconds(5), () -> read(log).contains("reopen-refused")), read(log));
        assertTrue(read(log).contains("fd4-refused"), read(log));
        assertEquals(daemon + "\n", Files.readString(p), "the pid root reads is still the daemon's");
        String flags = Files.readAllLines(Path.of("/proc/" + daemon + "/fdinfo/4")).stream()
                .filter(l -> l.startsWith("flags:")).findFirst().orElseThrow();
        assertEquals(0, Integer.parseInt(flags.substring(6).trim(), 8) & 3, "fd 4 is read-only: " + flags);

        // Had it managed (a daemon running as root's own user can), the lock still decides.
        Files.writeString(p, victim + "\n");
        Cli.Result usr1 = Cli.run("reopen-logs", "--pidfile", p.toString(), "--force");
        assertEquals(0, usr1.exitCode(), usr1.all());
        assertTrue(usr1.stdout().contains("to pid " + daemon), usr1.all());
        assertTrue(Processes.eventually(Duration.ofSeconds(5), () -> read(log).contains("got-USR1")), read(log));
        Cli.Result st = Cli.run("status", "--pidfile", p.toString());
        assertTrue(st.stdout().contains("running (pid " + daemon + ")") && st.stdout().contains("does not hold its lock"),
                st.all());
        Cli.Result stop = Cli.run("stop", "--pidfile", p.toString());
        assertEquals(0, stop.exitCode(), stop.all());
        assertTrue(stop.stdout().contains("stopped (pid " + daemon + ")"), stop.all());
        assertTrue(Processes.waitGone(daemon, Duration.ofSeconds(5)));
        assertTrue(Processes.alive(victim), "the pid written into the file was never signalled");
    }

    @Test
    void anotherUsersPidfileIsNotTrusted() throws Exception {
        assumeTrue(Posix.geteuid() == 0, "needs root to act as nobody");
        Path shared = Files.createDirectory(dir.resolve("shared"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        long victim = leftovers.sleeper(); // root's
        Path p = shared.resolve("planted.pid");
        // nobody plants a pidfile naming root's process.
        assertEquals(0, new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c",
                "echo " + victim + " > " + p).start().waitFor());
        assertEquals(65534, Files.getAttribute(p, "unix:uid"));
        Cli.Result st = Cli.run("status", "--pidfile", p.toString());
        assertEquals(4, st.exitCode(), st.all());
        Cli.Result stop = Cli.run("stop", "--pidfile", p.toString(), "--exec", sleepBinary());
        assertEquals(1, stop.exitCode(), stop.all());
        assertTrue(stop.stderr().contains("owned by uid 65534"), stop.all());
        assertTrue(Processes.alive(victim));
    }

    @Test
    void anUnprivilegedUserCanLookButNotStopRootsDaemon() throws Exception {
        assumeTrue(Posix.geteuid() == 0, "needs root to run the daemon as root and the CLI as nobody");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path p = dir.resolve("root.pid");
        leftovers.stop(p);
        assertEquals(0, Cli.run("start", "--pidfile", p.toString(), "--", "sleep", "300").exitCode());
        long daemon = Processes.readPid(p).orElseThrow();
        Cli.Result st = Cli.runAs("nobody", "status", "--pidfile", p.toString());
        assertEquals(0, st.exitCode(), st.all());
        assertTrue(st.stdout().contains("pid " + daemon), st.all());
        Cli.Result stop = Cli.runAs("nobody", "stop", "--pidfile", p.toString());
        assertEquals(1, stop.exitCode(), stop.all());
        assertTrue(Processes.alive(daemon));
        assertEquals(daemon + "\n", Files.readString(p));
    }

    @Test
    void anUnprivilegedUserIsNotToldThatADeadPidRunsWhenTheLockWasPassedOn() throws Exception {
        assumeTrue(Posix.geteuid() == 0, "needs root to hold the lock as root and the CLI as nobody");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path p = dir.resolve("passed.pid");
        // A root shell locks the pidfile (through flock(1), which exits), writes its own pid and
        // leaves the lock to a background child: both pids nobody could read have exited.
        Process sh = new ProcessBuilder("sh", "-c",
                "exec 9>>\"$0\"; flock -x 9; echo $$ > \"$0\"; sleep 300 >/dev/null 2>&1 & echo $!", p.toString())
                .redirectErrorStream(true).start();
        String out = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        long holder = Long.parseLong(out);
        leftovers.kill(holder);
        assertEquals(0, sh.waitFor());
        long written = Long.parseLong(Files.readString(p).trim());
        Cli.Result root = Cli.run("status", "--pidfile", p.toString());
        assertEquals(0, root.exitCode(), root.all());
        assertTrue(root.stdout().contains("running (pid " + holder + ")"), root.all()); // /proc/PID/fd shows root the holder
        Cli.Result nobody = Cli.runAs("nobody", "status", "--pidfile", p.toString());
        assertEquals(0, nobody.exitCode(), nobody.all());
        assertTrue(nobody.stdout().contains("held by a process this user cannot see"), nobody.all());
        assertFalse(nobody.stdout().contains("pid " + written), nobody.all());
    }

    @Test
    void twentyConcurrentStopsOfOneDaemonAllSucceed() throws Exception {
        Path p = dir.resolve("c.pid");
        leftovers.stop(p);
        assertEquals(0, Cli.run("start", "--pidfile", p.toString(), "--", "sleep", "300").exitCode());
        long daemon = Processes.readPid(p).orElseThrow();
        leftovers.kill(daemon);
        var pool = java.util.concurrent.Executors.newFixedThreadPool(20);
        try {
            List<java.util.concurrent.Future<Cli.Result>> stops = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                stops.add(pool.submit(() -> Cli.run("stop", "--pidfile", p.toString())));
            }
            for (var f : stops) {
                Cli.Result r = f.get();
                assertEquals(0, r.exitCode(), r.all());
            }
        } finally {
            pool.shutdownNow();
        }
        assertFalse(Processes.alive(daemon));
        assertFalse(Files.exists(p));
    }

    /**
     * The race: a stop removing a stale pidfile while six starts take it. A stop may stop
     * a start in progress (that start then fails, exit 1) — but no launcher is ever signalled, at
     * most one daemon survives, and it holds the lock of the file at the path, never of a deleted one.
     */
    @Test
    void stopRacingStartsNeverLeavesTwoDaemonsOrALockOnADeletedFile() throws Exception {
        Path p = dir.resolve("race.pid");
        leftovers.stop(p);
        var pool = java.util.concurrent.Executors.newFixedThreadPool(7);
        try {
            for (int round = 0; round < 6; round++) {
                Files.writeString(p, "999999\n"); // stale
                String token = "30" + round + ".5";
                List<java.util.concurrent.Future<Cli.Result>> all = new ArrayList<>();
                all.add(pool.submit(() -> Cli.run("stop", "--pidfile", p.toString())));
                for (int i = 0; i < 6; i++) {
                    all.add(pool.submit(() -> Cli.run("start", "--pidfile", p.toString(), "--", "sleep", token)));
                }
                StringBuilder outputs = new StringBuilder();
                for (var f : all) {
                    Cli.Result r = f.get();
                    outputs.append("\n--- exit ").append(r.exitCode()).append(": ").append(r.all());
                    assertTrue(r.exitCode() == 0 || r.exitCode() == 1 && r.stderr().contains("killed by SIGTERM"),
                            "round " + round + ", exit " + r.exitCode() + ": " + r.all());
                }
                List<Integer> running = dev.daemonkit.process.ProcessTable.all().stream()
                        .filter(x -> x.cmdline().equals(List.of("sleep", token)) && !x.isZombie())
                        .map(dev.daemonkit.process.ProcessInfo::pid).toList();
                running.forEach(pid -> leftovers.kill((long) pid));
                assertTrue(running.size() <= 1, "round " + round + ": " + running + outputs);
                if (running.size() == 1) {
                    assertTrue(FileLocks.holds(running.get(0), PosixFiles.lstat(p)), "the daemon locks the file at the path");
                    assertEquals(running.get(0).longValue(), Processes.readPid(p).orElseThrow());
                }
                assertEquals(0, Cli.run("stop", "--pidfile", p.toString()).exitCode());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "";
        }
    }

    @Test
    void aDaemonThatMarksItsLockTransientIsStillFoundByStatusStartAndStop() throws Exception {
        // O_NONBLOCK on the lock's descriptor is how a launcher marks its lock as not yet handed
        // over; a daemon setting it on its own fd 4 (after the start, which clears it at hand-over)
        // must not hide from status, start and stop.
        Path p = dir.resolve("nb.pid");
        leftovers.stop(p);
        Cli.Result start = Cli.run("start", "--pidfile", p.toString(), "--", "perl", "-e",
                "use Fcntl; sleep 2; open(my $fh, '<&=4') or die $!; fcntl($fh, F_SETFL, O_NONBLOCK) or die $!; sleep 300");
        assertEquals(0, start.exitCode(), start.all());
        long daemon = Processes.readPid(p).orElseThrow();
        assertTrue(Processes.eventually(Duration.ofSeconds(10), () -> {
            try {
                String flags = Files.readString(Path.of("/proc/" + daemon + "/fdinfo/4")).lines()
                        .filter(l -> l.startsWith("flags:")).findFirst().orElse("flags: 0").substring(6).trim();
                return (Integer.parseInt(flags, 8) & 04000) != 0; // O_NONBLOCK
            } catch (java.io.IOException e) {
                return false;
            }
        }), () -> "the daemon marked its lock descriptor O_NONBLOCK: " + start.all() + " / " + fdinfo(daemon));
        Cli.Result status = Cli.run("status", "--pidfile", p.toString());
        assertEquals(0, status.exitCode(), status.all());
        assertTrue(status.stdout().contains("running (pid " + daemon + ")"), status.all());
        Cli.Result again = Cli.run("start", "--pidfile", p.toString(), "--", "sleep", "300");
        assertEquals(0, again.exitCode(), again.all());
        assertTrue(again.stdout().contains("already running (pid " + daemon + ")"), again.all());
        Cli.Result stop = Cli.run("stop", "--pidfile", p.toString());
        assertEquals(0, stop.exitCode(), stop.all());
        assertTrue(Processes.waitGone(daemon, Duration.ofSeconds(5)));
    }

    private static String fdinfo(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/fdinfo/4"));
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
