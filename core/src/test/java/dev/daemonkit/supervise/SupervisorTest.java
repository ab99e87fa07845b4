package dev.daemonkit.supervise;

import static dev.daemonkit.testkit.Processes.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.process.ProcessTable;
import dev.daemonkit.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The supervisor as a library, with real programs (sh), in this JVM (no subreaper here). */
class SupervisorTest {
    @TempDir
    Path dir;

    private final List<Supervisor> started = new ArrayList<>();

    @AfterEach
    void shutDown() {
        for (Supervisor s : started) {
            List<Integer> pids = s.status().stream().map(Supervisor.ProcessStatus::pid).filter(p -> p > 0).toList();
            s.close();
            pids.forEach(Processes::killAndWait);
        }
    }

    private Supervisor supervise(Supervisor.Mode mode, ProgramSpec... specs) throws IOException {
        Supervisor s = Supervisor.builder().programs(List.of(specs)).mode(mode).build();
        started.add(s);
        s.start();
        return s;
    }

    private static ProgramSpec.Builder sh(String name, String script) {
        return ProgramSpec.builder(name, List.of("/bin/sh", "-c", script));
    }

    private static Supervisor.ProcessStatus only(Supervisor s) {
        return s.status().get(0);
    }

    @Test
    void aCrashAfterStartingIsRestartedWithANewPid() throws Exception {
        Path pids = dir.resolve("pids");
        Supervisor s = supervise(Supervisor.Mode.UNTIL_SHUTDOWN, sh("crasher", "echo $$ >> " + pids + "; sleep 0.3; exit 1")
                .startSeconds(Duration.ofMillis(100)).build());
        assertTrue(eventually(Duration.ofSeconds(20), () -> lines(pids).size() >= 3), "restarted: " + lines(pids));
        assertEquals(lines(pids).size(), new HashSet<>(lines(pids)).size(), "each run has its own pid");
        assertTrue(only(s).starts() >= 3);
        assertTrue(only(s).lastReason().contains("exited with status 1"), only(s).lastReason());
        assertEquals(0, s.shutdown().get(20, TimeUnit.SECONDS));
        assertEquals(ProgramState.STOPPED, only(s).state());
        for (String pid : lines(pids)) {
            assertFalse(Processes.alive(Long.parseLong(pid)), "run " + pid + " is gone");
        }
    }

    @Test
    void anInstantExitBacksOffExponentiallyThenGoesFatal() throws Exception {
        Path times = dir.resolve("times");
        Supervisor s = supervise(Supervisor.Mode.UNTIL_ALL_DONE, sh("instant", "date +%s%N >> " + times + "; exit 3")
                .startSeconds(Duration.ofMillis(500)).startRetries(2).build());
        assertEquals(1, s.finished().get(30, TimeUnit.SECONDS), "FATAL makes the supervisor fail");
        List<Long> t = lines(times).stream().map(l -> Long.parseLong(l) / 1_000_000).toList();
        assertEquals(3, t.size(), "1 start + 2 retries, then FATAL: " + t);
        // Backoff 1 s then 2 s, each with equal jitter: at least half of it.
        assertTrue(t.get(1) - t.get(0) >= 450, "first wait " + (t.get(1) - t.get(0)) + " ms");
        assertTrue(t.get(2) - t.get(1) >= 950, "second wait " + (t.get(2) - t.get(1)) + " ms");
        Supervisor.ProcessStatus st = only(s);
        assertEquals(ProgramState.FATAL, st.state());
        assertTrue(st.lastReason().contains("exited with status 3"), st.lastReason());
    }

    @Test
    void stopEscalatesToSigkillForAProgramIgnoringTerm() throws Exception {
        Path up = dir.resolve("up");
        Supervisor s = supervise(Supervisor.Mode.UNTIL_SHUTDOWN,
                sh("stubborn", "trap '' TERM; echo up > " + up + "; while :; do sleep 0.05; done")
                        .startSeconds(Duration.ZERO).stopTimeout(Duration.ofMillis(700)).signalGroup(true).build());
        assertTrue(eventually(Duration.ofSeconds(10), () -> Files.exists(up)));
        int pid = only(s).pid();
        long t0 = System.nanoTime();
        assertEquals(1, s.stop("stubborn"));
        assertTrue(eventually(Duration.ofSeconds(10), () -> only(s).state() == ProgramState.STOPPED));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 650, "waited the stop timeout before SIGKILL: " + ms + " ms");
        WaitStatus last = only(s).lastExit().orElseThrow();
        assertTrue(last instanceof WaitStatus.Signaled g && g.signo() == Signal.SIGKILL.number(), last.toString());
        assertFalse(Processes.alive(pid));
    }

    @Test
    void twoHundredCrashRestartCyclesLeaveNoZombieAndNoFd() throws Exception {
        Path log = dir.resolve("out.log");
        Supervisor s = supervise(Supervisor.Mode.UNTIL_SHUTDOWN, sh("loop", "echo run $$; exit 1")
                .restart(RestartPolicy.ALWAYS).startSeconds(Duration.ZERO).backoffMax(Duration.ofMillis(4))
                .stdoutLog(log).build());
        assertTrue(eventually(Duration.ofSeconds(60), () -> only(s).starts() >= 20));
        int baseline = openFds();
        assertTrue(eventually(Duration.ofSeconds(120), () -> only(s).starts() >= 220), "starts " + only(s).starts());
        assertEquals(0, s.shutdown().get(20, TimeUnit.SECONDS));
        int self = (int) ProcessHandle.current().pid();
        assertTrue(eventually(Duration.ofSeconds(5), () -> ProcessTable.zombiesOf(self).isEmpty()),
                "zombies: " + ProcessTable.zombiesOf(self));
        int after = openFds();
        assertTrue(after <= baseline + 2, "fds before " + baseline + ", after 200 cycles " + after);
        assertTrue(lines(log).size() >= 200, "every run's output reached the log");
    }

    @Test
    void signalsAreForwardedAndMapped() throws Exception {
        Path f = dir.resolve("signals");
        Supervisor s = supervise(Supervisor.Mode.UNTIL_ALL_DONE, sh("trapper",
                "trap 'echo HUP >> " + f + "' HUP; trap 'echo QUIT >> " + f + "; exit 0' QUIT; echo up >> " + f
                        + "; while :; do sleep 0.05; done")
                .startSeconds(Duration.ZERO).mapSignal(Signal.SIGUSR1, Signal.SIGQUIT).build());
        assertTrue(eventually(Duration.ofSeconds(10), () -> lines(f).contains("up")));
        s.forward(Signal.SIGHUP);
        assertTrue(eventually(Duration.ofSeconds(10), () -> lines(f).contains("HUP")));
        s.forward(Signal.SIGUSR1);
        assertEquals(0, s.finished().get(10, TimeUnit.SECONDS), "QUIT made it exit 0");
        assertEquals(List.of("up", "HUP", "QUIT"), lines(f));
        assertEquals(ProgramState.EXITED, only(s).state());
    }

    @Test
    void numprocsRunsCopiesAndStopStartWorkByGroupName() throws Exception {
        Supervisor s = supervise(Supervisor.Mode.UNTIL_SHUTDOWN,
                sh("worker", "exec sleep 30").numprocs(3).startSeconds(Duration.ZERO).build());
        assertTrue(eventually(Duration.ofSeconds(10), () -> s.status().stream().allMatch(p -> p.pid() > 0)));
        assertEquals(List.of("worker:0", "worker:1", "worker:2"),
                s.status().stream().map(Supervisor.ProcessStatus::name).toList());
        assertEquals(1, s.stop("worker:1"));
        assertTrue(eventually(Duration.ofSeconds(10), () -> s.status().get(1).state() == ProgramState.STOPPED));
        assertEquals(ProgramState.RUNNING, s.status().get(0).state());
        assertEquals(3, s.start("worker"));
        assertTrue(eventually(Duration.ofSeconds(10), () -> s.status().get(1).state() == ProgramState.RUNNING));
        int before = s.status().get(2).pid();
        assertEquals(1, s.restart("worker:2"));
        assertTrue(eventually(Duration.ofSeconds(10), () -> s.status().get(2).pid() > 0 && s.status().get(2).pid() != before));
        assertFalse(Processes.alive(before));
    }

    @Test
    void aProgramThatDaemonizesItselfIsTrackedThroughItsPidfile() throws Exception {
        Path pidfile = dir.resolve("self.pid");
        // Forks a long-lived process in the background, writes its pid, exits 0: the classic daemon.
        Supervisor s = supervise(Supervisor.Mode.UNTIL_SHUTDOWN, sh("selfdaemon",
                "sleep 30 </dev/null >/dev/null 2>&1 & echo $! > " + pidfile + "; exit 0")
                .pidfile(pidfile).startSeconds(Duration.ofSeconds(2)).build());
        assertTrue(eventually(Duration.ofSeconds(10), () -> only(s).state() == ProgramState.RUNNING));
        long tracked = Long.parseLong(Files.readString(pidfile).trim());
        assertEquals(tracked, only(s).pid());
        Posix.kill((int) tracked, Signal.SIGKILL);
        // Not our child, so its exit is seen through the pidfd; on-failure restarts it.
        assertTrue(eventually(Duration.ofSeconds(15), () -> only(s).pid() > 0 && only(s).pid() != tracked
                && only(s).state() == ProgramState.RUNNING), "restarted: " + only(s));
        long second = only(s).pid();
        assertEquals(0, s.shutdown().get(20, TimeUnit.SECONDS));
        assertTrue(Processes.waitGone(second, Duration.ofSeconds(5)));
    }

    @Test
    void logsRotateBySize() throws Exception {
        Path log = dir.resolve("big.log");
        Supervisor s = supervise(Supervisor.Mode.UNTIL_ALL_DONE,
                sh("chatty", "i=0; while [ $i -lt 300 ]; do echo line-$i-0123456789012345678901234567890123456789; i=$((i+1)); done")
                        .restart(RestartPolicy.NEVER).startSeconds(Duration.ZERO).stdoutLog(log).logMaxBytes(4096)
                        .logBackups(2).build());
        assertEquals(0, s.finished().get(20, TimeUnit.SECONDS));
        s.close();
        assertTrue(Files.size(log) <= 4096, "current file " + Files.size(log));
        assertTrue(Files.exists(Path.of(log + ".1")) && Files.exists(Path.of(log + ".2")));
        assertFalse(Files.exists(Path.of(log + ".3")), "only 2 backups kept");
        List<String> last = lines(log);
        assertEquals("line-299-0123456789012345678901234567890123456789", last.get(last.size() - 1));
    }

    private static int openFds() {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> lines(Path p) {
        try {
            return Files.exists(p) ? Files.readAllLines(p) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }
}
