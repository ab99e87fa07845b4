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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readiness and the watchdog against the real systemd-notify: start --notify / --ready-fd,
 * supervise --notify --watchdog, and senders that are not the program's.
 */
class NotifyCliTest {
    @TempDir
    Path dir;
    @RegisterExtension
    final Leftovers leftovers = new Leftovers();

    private Path script(String name, String body) throws IOException {
        return Scripts.executable(dir, name, body);
    }

    @Test
    void startReturnsOnceSystemdNotifySaysReadyAndStatusShowsItsStatus() throws Exception {
        String notify = SystemdTools.require("systemd-notify");
        Path before = dir.resolve("before-ready");
        Path prog = script("prog.sh", "sleep 1\n: > " + before + "\n" + notify
                + " --ready --status='serving 42 clients'\nexec sleep 300\n");
        Path pidfile = dir.resolve("p.pid");
        leftovers.stop(pidfile);
        Cli.Result r = Cli.run("start", "--pidfile", pidfile.toString(), "--notify", "--", prog.toString());
        assertEquals(0, r.exitCode(), r.all());
        assertTrue(r.stdout().contains(", ready"), r.all());
        assertTrue(Files.exists(before), "start returned only after the program got as far as sending READY=1");
        Cli.Result s = Cli.run("status", "--pidfile", pidfile.toString());
        assertEquals(0, s.exitCode(), s.all());
        assertTrue(s.stdout().contains("status: serving 42 clients"), s.all());
        assertEquals(0, Cli.run("stop", "--pidfile", pidfile.toString()).exitCode());
        assertFalse(Files.exists(dir.resolve("p.pid.status")), "the status note goes with the daemon");
    }

    @Test
    void aFailedStartShowsTheLastStatusTheProgramSent() throws Exception {
        String notify = SystemdTools.require("systemd-notify");
        Path pidfile = dir.resolve("p.pid");
        leftovers.stop(pidfile);
        // The datagram is sent just before the exit: the death may be noticed first.
        Path dies = script("dies.sh", notify + " --status='cannot read app.conf: permission denied'\nexit 3\n");
        for (int i = 0; i < 3; i++) {
            Cli.Result r = Cli.run("start", "--pidfile", pidfile.toString(), "--notify", "--", dies.toString());
            assertEquals(1, r.exitCode(), r.all());
            assertTrue(r.stderr().contains("exited with status 3 (its last status: cannot read app.conf: permission denied)"),
                    r.all());
        }
        // STOPPING=1 before READY=1 is hopeless: the start fails at once and the program is stopped.
        Path pids = dir.resolve("pids");
        Path quits = script("quits.sh", "echo $$ > " + pids + "\n" + notify + " --status=draining STOPPING=1\nexec sleep 300\n");
        Cli.Result r = Cli.run("start", "--pidfile", pidfile.toString(), "--notify", "--", quits.toString());
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.stderr().contains("it sent STOPPING=1 before READY=1 (its last status: draining)"), r.all());
        long pid = Long.parseLong(Files.readString(pids).trim());
        leftovers.kill(pid);
        assertFalse(Processes.alive(pid), "the program was stopped");
        assertFalse(Files.exists(pidfile));
    }

    @Test
    void noReadyWithinTheStartTimeoutFailsTheStartAndLeavesNothingRunning() throws Exception {
        Path pids = dir.resolve("pids");
        Path prog = script("silent.sh", "sleep 300 &\necho $$ $! > " + pids + "\nwait\n");
        Path pidfile = dir.resolve("p.pid");
        leftovers.stop(pidfile);
        Cli.Result r = Cli.run("start", "--pidfile", pidfile.toString(), "--notify", "--start-timeout", "1s", "--",
                prog.toString());
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.stderr().contains("did not report ready within 1000 ms (the start timeout)"), r.all());
        for (String pid : Files.readString(pids).trim().split(" ")) {
            leftovers.kill(Long.parseLong(pid));
            assertFalse(Processes.alive(Long.parseLong(pid)), "pid " + pid + " was stopped");
        }
        assertFalse(Files.exists(pidfile));
    }

    @Test
    void aReadyFromAProcessThatIsNotTheProgramsIsIgnored() throws Exception {
        String notify = SystemdTools.require("systemd-notify");
        Path socketName = dir.resolve("socket");
        Path prog = script("quiet.sh", "echo \"$NOTIFY_SOCKET\" > " + socketName + "\nexec sleep 300\n");
        Path pidfile = dir.resolve("p.pid");
        leftovers.stop(pidfile);
        Process start = new ProcessBuilder(Cli.command("start", "--pidfile", pidfile.toString(), "--notify",
                "--start-timeout", "4s", "--", prog.toString())).redirectErrorStream(true)
                .redirectOutput(dir.resolve("start.out").toFile()).start();
        assertTrue(eventually(Duration.ofSeconds(20), () -> Scripts.textOf(socketName).endsWith("\n")), "program up");
        // This test's own child: not a descendant of the launcher, whatever pid it claims.
        ProcessBuilder pb = new ProcessBuilder(notify, "--ready", "--status=forged");
        pb.environment().put("NOTIFY_SOCKET", Scripts.textOf(socketName).trim());
        assertEquals(0, pb.start().waitFor(), "the datagram was sent (and its barrier released)");
        assertTrue(start.waitFor(30, TimeUnit.SECONDS));
        String out = Files.readString(dir.resolve("start.out"));
        assertEquals(1, start.exitValue(), out);
        assertTrue(out.contains("did not report ready"), out);
    }

    @Test
    void readyFdANewlineIsReadyAndClosingItWithoutOneFailsAtOnce() throws Exception {
        Path pidfile = dir.resolve("p.pid");
        leftovers.stop(pidfile);
        Cli.Result ok = Cli.run("start", "--pidfile", pidfile.toString(), "--ready-fd", "5", "--", "sh", "-c",
                "sleep 0.5; printf 'almost\\n' >&5; exec sleep 300");
        assertEquals(0, ok.exitCode(), ok.all());
        assertTrue(ok.stdout().contains(", ready"), ok.all());
        assertEquals(0, Cli.run("stop", "--pidfile", pidfile.toString()).exitCode());
        long t0 = System.nanoTime();
        Cli.Result closed = Cli.run("start", "--pidfile", pidfile.toString(), "--ready-fd", "3", "--start-timeout", "1m",
                "--", "sh", "-c", "exec 3>&-; sleep 300");
        assertEquals(1, closed.exitCode(), closed.all());
        assertTrue(closed.stderr().contains("closed fd 3 without writing a newline"), closed.all());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(50), "failed at once, not after the start timeout");
    }

    @Test
    void badCombinationsAreUsageErrors() throws Exception {
        Cli.Result wd = Cli.run("start", "--pidfile", dir.resolve("p.pid").toString(), "--watchdog", "5s", "--", "true");
        assertEquals(2, wd.exitCode(), wd.all());
        assertTrue(wd.stderr().contains("use: daemonkit supervise") || wd.stderr().contains("Use: daemonkit supervise"),
                wd.all());
        Cli.Result run = Cli.run("run", "--notify", "--", "true");
        assertEquals(2, run.exitCode(), run.all());
        Cli.Result fd = Cli.run("supervise", "--listen", "127.0.0.1:0", "--ready-fd", "3", "--", "true");
        assertEquals(2, fd.exitCode(), fd.all());
        assertTrue(fd.stderr().contains("ready fd 3 is taken by the listening sockets"), fd.all());
        Cli.Result listen = Cli.run("supervise", "--listen", "http=nowhere", "--", "true");
        assertEquals(2, listen.exitCode(), listen.all());
        assertTrue(listen.stderr().contains("--listen: needs [NAME=]HOST:PORT"), listen.all());
    }

    @Test
    void aWatchdogMissStopsTheProgramAndTheRestartPolicyStartsItAgain() throws Exception {
        String notify = SystemdTools.require("systemd-notify");
        Path runs = dir.resolve("runs");
        Path prog = script("hangs.sh", "echo $$ >> " + runs + "\n" + notify + " --ready --status=\"run $$\"\n"
                + "for i in 1 2 3; do sleep 0.2; " + notify + " WATCHDOG=1; done\nexec sleep 300\n");
        Path control = dir.resolve("c.sock");
        Path log = dir.resolve("sup.out");
        Process sup = new ProcessBuilder(Cli.command("supervise", "--notify", "--watchdog", "1500ms", "--stop-timeout",
                "2s", "--control", control.toString(), "--", prog.toString())).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        leftovers.kill(sup.pid());
        try {
            assertTrue(eventually(Duration.ofSeconds(40), () -> Scripts.textOf(runs).lines().count() >= 2),
                    "restarted after the watchdog timeout: " + Scripts.textOf(log));
            Scripts.textOf(runs).lines().forEach(p -> leftovers.kill(Long.parseLong(p.trim())));
            String l = Scripts.textOf(log);
            assertTrue(l.contains("watchdog timeout: no WATCHDOG=1 for 1500ms; sending SIGTERM"), l);
            assertTrue(l.matches("(?s).*RUNNING -> EXITED \\(watchdog timeout: no WATCHDOG=1 for 1500ms; pid \\d+ killed by"
                    + " SIGTERM \\(unexpected\\); restarting \\(restart=on-failure\\)\\).*"), l);
            assertTrue(eventually(Duration.ofSeconds(20), () -> {
                Cli.Result st = run("ctl", "--control", control.toString(), "status");
                return st.stdout().contains("RUNNING") && st.stdout().contains("[status: run ");
            }), "ctl status shows the program's STATUS=");
        } finally {
            Posix.kill((int) sup.pid(), Signal.SIGTERM);
            sup.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void theLibrarySpeaksNotifyReloadAndFeedsTheWatchdogOnlyWhileHealthy() throws Exception {
        Path healthy = Files.writeString(dir.resolve("healthy"), "yes");
        Path control = dir.resolve("c.sock");
        Path log = dir.resolve("sup.out");
        List<String> cmd = new ArrayList<>(Cli.command("supervise", "--notify", "--watchdog", "2s", "--stop-timeout", "2s",
                "--control", control.toString(), "--"));
        cmd.addAll(Cli.javaCommand(NotifyLibraryProbe.class.getName(), healthy.toString()));
        Process sup = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        leftovers.kill(sup.pid());
        try {
            assertTrue(eventually(Duration.ofSeconds(40), () -> Scripts.textOf(log).contains("STARTING -> RUNNING")), Scripts.textOf(log));
            Thread.sleep(3000); // longer than the watchdog: the pings keep it running
            assertTrue(run("ctl", "--control", control.toString(), "status").stdout().contains("[status: probe up]"));
            assertEquals(0, run("ctl", "--control", control.toString(), "signal", "HUP").exitCode());
            assertTrue(eventually(Duration.ofSeconds(20), () -> Scripts.textOf(log).contains("reload finished (READY=1)")), Scripts.textOf(log));
            String l = Scripts.textOf(log);
            // The two processes' lines interleave as they please; what arrived, arrived in this order.
            assertTrue(l.contains("probe: reload action ran"), l);
            assertTrue(l.indexOf("reloading (RELOADING=1)") >= 0
                    && l.indexOf("reloading (RELOADING=1)") < l.indexOf("reload finished (READY=1)"), l);
            assertFalse(l.contains("watchdog timeout"), "fed while healthy: " + l);
            Files.delete(healthy);
            assertTrue(eventually(Duration.ofSeconds(30), () -> Scripts.textOf(log).contains("watchdog timeout: no WATCHDOG=1 for 2s")),
                    Scripts.textOf(log));
            assertTrue(eventually(Duration.ofSeconds(30), () -> Scripts.textOf(log).split("STARTING -> RUNNING", -1).length > 2),
                    "restarted: " + Scripts.textOf(log));
        } finally {
            Posix.kill((int) sup.pid(), Signal.SIGTERM);
            sup.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static Cli.Result run(String... args) {
        try {
            return Cli.run(args);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

}
