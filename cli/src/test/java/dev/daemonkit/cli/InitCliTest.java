package dev.daemonkit.cli;

import static dev.daemonkit.testkit.Processes.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.process.RelayedSignals;
import dev.daemonkit.testkit.Cli;
import dev.daemonkit.testkit.Processes;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * daemonkit init as a container would run it: started as {@code java ... Main init} (so it also
 * proves the self re-exec that sets up signal relaying), as PID 1 of a new pid namespace
 * ({@code unshare --pid --fork --mount-proc}, as root), and with a subreaper.
 */
class InitCliTest {
    @TempDir
    Path dir;

    /** Every process the test started, killed (innermost first) after each test whatever happened. */
    private final List<Long> started = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        for (int i = started.size() - 1; i >= 0; i--) {
            Processes.killAndWait(started.get(i));
        }
    }

    /** A bash script that writes "ready PID" then each signal it gets, one name a line, and never exits. */
    private Path catcher() throws Exception {
        Path script = dir.resolve("catcher.sh");
        StringBuilder traps = new StringBuilder();
        for (Signal s : RelayedSignals.wanted()) {
            traps.append("trap 'echo ").append(s.shortName()).append(" >> \"$1\"' ").append(s.shortName()).append('\n');
        }
        Files.writeString(script, "#!/bin/bash\n" + traps + "echo \"ready $$\" >> \"$1\"\nwhile :; do sleep 0.05; done\n");
        script.toFile().setExecutable(true);
        return script;
    }

    private Process start(List<String> prefix, String... initArgs) throws Exception {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(Cli.command(initArgs));
        Process p = new ProcessBuilder(cmd).redirectInput(new File("/dev/null"))
                .redirectOutput(dir.resolve("init.out").toFile()).redirectError(dir.resolve("init.err").toFile()).start();
        started.add(p.pid());
        return p;
    }

    private static List<String> lines(Path f) throws Exception {
        return Files.exists(f) ? Files.readAllLines(f) : List.of();
    }

    private static int waitReady(Path record) throws Exception {
        assertTrue(eventually(Duration.ofSeconds(30), () -> {
            try {
                return lines(record).stream().anyMatch(l -> l.startsWith("ready "));
            } catch (Exception e) {
                return false;
            }
        }), "the command never started");
        return Integer.parseInt(lines(record).get(0).substring(6).trim());
    }

    /** Sends every relayed signal to {@code initPid} and checks the command got each one. */
    private void everySignalArrives(long initPid, Path record) throws Exception {
        for (Signal s : RelayedSignals.wanted()) {
            int before = lines(record).size();
            Posix.kill((int) initPid, s);
            boolean stopsInit = Set.of(Signal.SIGTSTP, Signal.SIGTTIN, Signal.SIGTTOU).contains(s);
            assertTrue(eventually(Duration.ofSeconds(10), () -> {
                try {
                    return lines(record).subList(before, lines(record).size()).contains(s.shortName());
                } catch (Exception e) {
                    return false;
                }
            }), s + " was not relayed; got " + lines(record));
            if (stopsInit) {
                Posix.kill((int) initPid, Signal.SIGCONT); // init stopped itself after relaying (unless PID 1)
                assertTrue(eventually(Duration.ofSeconds(10), () -> !"T".equals(Processes.state(initPid).orElse(""))));
            }
        }
    }

    @Test
    void everyRelayedSignalReachesTheCommand() throws Exception {
        Path record = dir.resolve("signals");
        Process init = start(List.of(), "init", "--", catcher().toString(), record.toString());
        int child = waitReady(record);
        everySignalArrives(init.pid(), record);
        Posix.kill(child, Signal.SIGKILL);
        assertTrue(init.waitFor(30, TimeUnit.SECONDS));
        assertEquals(128 + 9, init.exitValue(), Files.readString(dir.resolve("init.err")));
    }

    private static boolean canUnshare() {
        try {
            Process p = new ProcessBuilder("unshare", "--pid", "--fork", "--mount-proc", "true").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    private static final List<String> UNSHARE = List.of("unshare", "--pid", "--fork", "--mount-proc");

    /** The init JVM below `unshare --fork`: its pid as this (outer) namespace sees it. */
    private long innerInit(Process unshare) throws Exception {
        Path children = Path.of("/proc", Long.toString(unshare.pid()), "task", Long.toString(unshare.pid()), "children");
        assertTrue(eventually(Duration.ofSeconds(10), () -> {
            try {
                return !Files.readString(children).isBlank();
            } catch (Exception e) {
                return false;
            }
        }));
        long pid = Long.parseLong(Files.readString(children).trim().split(" ")[0]);
        started.add(pid);
        return pid;
    }

    @Test
    void asPid1EverySignalFromOutsideIsRelayed() throws Exception {
        assumeTrue(canUnshare(), "unshare --pid --fork --mount-proc is not available here (needs root / user namespaces)");
        Path record = dir.resolve("signals");
        Process unshare = start(UNSHARE, "init", "--", catcher().toString(), record.toString());
        long init = innerInit(unshare);
        waitReady(record);
        String nspid = Processes.status(init, "NSpid").orElse("");
        assertTrue(nspid.matches("\\d+\\s+1"), "init should be PID 1 of its namespace: NSpid " + nspid);
        everySignalArrives(init, record);
    }

    @Test
    void asPid1OrphansAreReapedAndTheStatusPassesThrough() throws Exception {
        assumeTrue(canUnshare(), "unshare --pid --fork --mount-proc is not available here (needs root / user namespaces)");
        Process p = start(UNSHARE, "init", "--", "sh", "-c", "for i in 1 2 3 4 5 6 7 8; do (sleep 0.2 &); done; sleep 2; "
                + "echo zombies=$(grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l) "
                + "orphans=$(grep -l '^PPid:.*\\b1$' /proc/[0-9]*/status 2>/dev/null | wc -l); exit 42");
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String out = Files.readString(dir.resolve("init.out"));
        assertEquals(42, p.exitValue(), out + Files.readString(dir.resolve("init.err")));
        // Eight orphans went to PID 1 and are reaped; only sh itself (and grep's shell) remain its children.
        assertTrue(out.contains("zombies=0 "), out);
    }

    @Test
    void aSubreaperTermsThenKillsWhatTheCommandLeftBehind() throws Exception {
        Path polite = dir.resolve("polite");
        Path stubborn = dir.resolve("stubborn");
        Process p = start(List.of(), "init", "--subreaper", "--", "sh", "-c",
                "(sleep 300 & echo $! > " + polite + "); (sh -c 'trap \"\" TERM; exec sleep 300' & echo $! > " + stubborn
                        + "); exit 3");
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        long a = Long.parseLong(Files.readString(polite).trim());
        long b = Long.parseLong(Files.readString(stubborn).trim());
        started.add(a);
        started.add(b);
        String err = Files.readString(dir.resolve("init.err"));
        assertEquals(3, p.exitValue(), err);
        assertTrue(Processes.waitGone(a, Duration.ofSeconds(5)), "the orphan that takes SIGTERM still runs");
        assertTrue(Processes.waitGone(b, Duration.ofSeconds(5)), "the orphan that ignores SIGTERM still runs");
        assertTrue(err.contains("sending SIGKILL"), err);
    }

    @Test
    void processGroupModeSignalsTheWholeGroup() throws Exception {
        Path bg = dir.resolve("bg");
        Process p = start(List.of(), "init", "--process-group", "--", "sh", "-c", "sleep 300 & echo $! > " + bg + "; wait");
        assertTrue(eventually(Duration.ofSeconds(30), () -> Files.exists(bg) && bg.toFile().length() > 0));
        long sleeper = Long.parseLong(Files.readString(bg).trim());
        started.add(sleeper);
        String pgid = Files.readString(Path.of("/proc/" + sleeper + "/stat")).replaceAll("^.*\\) ", "").split(" ")[2];
        assertNotEquals(Long.toString(Posix.getpgid((int) p.pid())), pgid, "the command should lead a group of its own");
        Posix.kill((int) p.pid(), Signal.SIGTERM);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(128 + 15, p.exitValue(), Files.readString(dir.resolve("init.err")));
        assertTrue(Processes.waitGone(sleeper, Duration.ofSeconds(10)), "the rest of the group did not get SIGTERM");
    }

    @Test
    void mappedSignalsAreRelayedAsMappedAndZeroDropsThem() throws Exception {
        Path record = dir.resolve("signals");
        Process init = start(List.of(), "init", "--map-signal", "USR1:USR2", "--map-signal", "HUP:0", "--",
                catcher().toString(), record.toString());
        int child = waitReady(record);
        for (Signal s : List.of(Signal.SIGUSR1, Signal.SIGHUP, Signal.SIGQUIT)) {
            Posix.kill((int) init.pid(), s);
            Thread.sleep(300); // one at a time, so that their order is the order sent
        }
        assertTrue(eventually(Duration.ofSeconds(10), () -> {
            try {
                return lines(record).contains("QUIT");
            } catch (Exception e) {
                return false;
            }
        }));
        assertEquals(List.of("USR2", "QUIT"), lines(record).subList(1, lines(record).size()));
        Posix.kill(child, Signal.SIGKILL);
        assertTrue(init.waitFor(30, TimeUnit.SECONDS));
    }

    @Test
    void exitStatusesAndFailuresToStart() throws Exception {
        assertEquals(0, Cli.run("init", "--", "true").exitCode());
        assertEquals(255, Cli.run("init", "--", "sh", "-c", "exit 255").exitCode());
        assertEquals(128 + 15, Cli.run("init", "--", "sh", "-c", "kill -TERM $$").exitCode());
        Cli.Result missing = Cli.run("init", "--", "no-such-command-here");
        assertEquals(127, missing.exitCode(), missing.all());
        assertTrue(missing.stderr().contains("daemonkit init: no-such-command-here: command not found"), missing.all());
        Path notExecutable = Files.writeString(dir.resolve("plain.txt"), "echo hi\n");
        Cli.Result denied = Cli.run("init", "--", notExecutable.toString());
        assertEquals(126, denied.exitCode(), denied.all());
        // Said as start says it (newcomer audit: init printed a bare "cannot execute: Permission denied").
        assertTrue(denied.stderr().contains(notExecutable + ": is not executable (chmod +x " + notExecutable + "?)"),
                denied.all());
        Cli.Result directory = Cli.run("init", "--", dir.toString());
        assertEquals(126, directory.exitCode(), directory.all());
        assertTrue(directory.stderr().contains("daemonkit init: " + dir + ": is a directory"), directory.all());
        // A path that is not there: start's "no such file", not "command not found" (a PATH search).
        Path absent = dir.resolve("absent");
        Cli.Result noFile = Cli.run("init", "--", absent.toString());
        assertEquals(127, noFile.exitCode(), noFile.all());
        assertEquals("daemonkit init: " + absent + ": no such file", noFile.stderr().strip(), noFile.all());
        Cli.Result startNoFile = Cli.run("start", "--pidfile", dir.resolve("s.pid").toString(), "--", absent.toString());
        assertEquals("daemonkit start: " + absent + ": no such file", startNoFile.stderr().strip(), startNoFile.all());
    }

    @Test
    void badUsageExits2AndStartsNothing() throws Exception {
        Path marker = dir.resolve("ran");
        for (List<String> args : List.of(List.of("init", "touch", marker.toString()),
                List.of("init", "--no-such-option", "--", "touch", marker.toString()),
                List.of("init", "--map-signal", "KILL:TERM", "--", "touch", marker.toString()),
                List.of("init", "--map-signal", "TERM", "--", "touch", marker.toString()),
                List.of("init", "--"))) {
            Cli.Result r = Cli.run(args.toArray(String[]::new));
            assertEquals(2, r.exitCode(), args + ": " + r.all());
            assertTrue(r.stderr().startsWith("daemonkit init: "), r.all());
        }
        assertFalse(Files.exists(marker), "a command was started despite bad usage");
        Cli.Result help = Cli.run("init", "--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.stdout().startsWith("usage: daemonkit init"), help.stdout());
    }
}
