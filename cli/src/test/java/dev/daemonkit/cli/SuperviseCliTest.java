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
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** daemonkit supervise / prefork / ctl run as a user would, each in its own JVM. */
class SuperviseCliTest {
    @TempDir
    Path dir;
    @RegisterExtension
    final Leftovers leftovers = new Leftovers();

    @Test
    void singleProgramModeExitsWithTheProgramsStatus() throws Exception {
        Cli.Result r = Cli.run("supervise", "--restart", "never", "--start-seconds", "0", "--", "sh", "-c", "exit 7");
        assertEquals(7, r.exitCode(), r.all());
        Cli.Result remapped = Cli.run("supervise", "--restart", "never", "--start-seconds", "0", "--remap-exit", "7", "--",
                "sh", "-c", "exit 7");
        assertEquals(0, remapped.exitCode(), remapped.all());
    }

    @Test
    void anUnexpectedExitIsAWarningAndAnExpectedOneIsNot() throws Exception {
        Cli.Result bad = Cli.run("supervise", "--restart", "never", "--start-seconds", "0", "--", "sh", "-c", "exit 3");
        assertEquals(3, bad.exitCode(), bad.all());
        assertTrue(bad.stderr().matches("(?s).*\\[WARN\\] Supervisor - sh: RUNNING -> EXITED \\(pid \\d+ exited with "
                + "status 3 \\(unexpected\\)\\).*"), bad.all());
        Cli.Result good = Cli.run("supervise", "--restart", "never", "--start-seconds", "0", "--exit-codes", "0,4", "--",
                "sh", "-c", "exit 4");
        assertEquals(4, good.exitCode(), good.all());
        assertTrue(good.stderr().matches("(?s).*\\[INFO\\] Supervisor - sh: RUNNING -> EXITED \\(pid \\d+ exited with "
                + "status 4 \\(expected\\)\\).*"), good.all());
    }

    @Test
    void sigtermStopsTheProgramAndTheSupervisorExitsWithItsStatus() throws Exception {
        Path up = dir.resolve("up");
        Process sup = new ProcessBuilder(Cli.command("supervise", "--start-seconds", "0", "--stop-timeout", "1h", "--",
                "sh", "-c", "trap 'exit 5' TERM; echo $$ > " + up + "; while :; do sleep 0.1; done"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("sup.out").toFile()).start();
        try {
            assertTrue(eventually(Duration.ofSeconds(20), () -> Scripts.textOf(up).endsWith("\n")), "program up");
            long program = Long.parseLong(Scripts.textOf(up).trim());
            leftovers.kill(program);
            Posix.kill((int) sup.pid(), Signal.SIGTERM);
            assertTrue(sup.waitFor(20, java.util.concurrent.TimeUnit.SECONDS), "supervisor exited");
            assertEquals(5, sup.exitValue(), Scripts.textOf(dir.resolve("sup.out")));
            assertFalse(Processes.alive(program));
        } finally {
            sup.destroyForcibly().waitFor();
        }
    }

    @Test
    void instantExitEndsFatalNamingTheProgram() throws Exception {
        Cli.Result r = Cli.run("supervise", "--start-seconds", "300ms", "--start-retries", "1", "--", "sh", "-c",
                "echo starting; exit 3");
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.stderr().contains("program sh entered FATAL"), r.all());
        assertTrue(r.stderr().contains("BACKOFF"), r.all());
        assertEquals(2, r.stdout().split("starting", -1).length - 1, "1 start + 1 retry, then no more: " + r.stdout());
    }

    @Test
    void subreaperAdoptsAndReapsOrphanedGrandchildren() throws Exception {
        Path gc = dir.resolve("gc");
        Path st = dir.resolve("st");
        // The subshell starts a sleep and exits at once: the sleep is orphaned while sh runs on.
        String script = "(sleep 0.5 & echo $! > " + gc + "); sleep 0.2; echo $PPID > " + st
                + "; cut -d' ' -f4 /proc/$(cat " + gc + ")/stat >> " + st + "; sleep 1";
        Cli.Result r = Cli.run("supervise", "--subreaper", "--restart", "never", "--start-seconds", "0", "--", "sh", "-c",
                script);
        assertEquals(0, r.exitCode(), r.all());
        List<String> parents = Files.readAllLines(st);
        assertEquals(parents.get(0), parents.get(1), "the orphan's parent is the supervisor (sh's parent)");
        String orphan = Files.readString(gc).trim();
        assertTrue(r.stderr().contains("reaped orphan pid " + orphan + " exited with status 0"), r.all());
        assertFalse(Processes.alive(Long.parseLong(orphan)));
    }

    @Test
    void ctlRestartOfTheOnlyProgramKeepsTheSupervisor() throws Exception {
        Path pidfile = dir.resolve("one.pid");
        leftovers.stop(pidfile);
        Cli.Result up = Cli.run("supervise", "--pidfile", pidfile.toString(), "--log", dir.resolve("one.log").toString(),
                "--start-seconds", "0", "--", "sleep", "300");
        assertEquals(0, up.exitCode(), up.all());
        long sup = Processes.readPid(pidfile).orElseThrow();
        List<Long> before = pidsIn(ctlAt("one.sock", "status").stdout());
        leftovers.killAll(before);
        Cli.Result restart = ctlAt("one.sock", "restart", "sleep");
        assertEquals(0, restart.exitCode(), restart.all());
        // STOPPED on the way to the new run is not "the program is done": the supervisor stays.
        assertTrue(eventually(Duration.ofSeconds(10), () -> ctlAt("one.sock", "status")
                .stdout().contains("RUNNING")));
        List<Long> after = pidsIn(ctlAt("one.sock", "status").stdout());
        leftovers.killAll(after);
        assertEquals(1, after.size());
        assertFalse(before.equals(after), "a new run: " + before + " -> " + after);
        assertTrue(Processes.alive(sup), "the supervisor still runs");
    }

    @Test
    void daemonizedSupervisorIsControlledOverItsSocketAndForwardsSignals() throws Exception {
        Path pidfile = dir.resolve("sup.pid");
        leftovers.stop(pidfile);
        Path hups = dir.resolve("hups");
        Path conf = dir.resolve("programs.ini");
        Files.writeString(conf, """
                ; two programs, supervisord style
                [program:web]
                command = sh -c "trap 'echo HUP >> %s' HUP; while :; do sleep 0.05; done"
                startsecs = 0
                stopwaitsecs = 2

                [program:batch]
                command = sleep 300
                numprocs = 2
                startsecs = 0
                """.formatted(hups));
        Cli.Result start = Cli.run("supervise", "--config", conf.toString(), "--pidfile", pidfile.toString(), "--log",
                dir.resolve("sup.log").toString());
        assertEquals(0, start.exitCode(), start.all());
        long sup = Processes.readPid(pidfile).orElseThrow();
        Path sock = dir.resolve("sup.sock");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));

        assertTrue(eventually(Duration.ofSeconds(10), () -> ctl("status").stdout().split("RUNNING", -1).length - 1 == 3),
                ctl("status").all());
        List<Long> children = pidsIn(ctl("status").stdout());
        leftovers.killAll(children);
        assertEquals(3, children.size());

        Cli.Result stop = ctl("stop", "batch:1");
        assertEquals(0, stop.exitCode(), stop.all());
        assertTrue(eventually(Duration.ofSeconds(10), () -> ctl("status").stdout().matches("(?s).*batch:1\\s+STOPPED.*")),
                ctl("status").all());
        assertEquals(0, ctl("start", "batch").exitCode());
        assertTrue(eventually(Duration.ofSeconds(10), () -> ctl("status").stdout().split("RUNNING", -1).length - 1 == 3));
        leftovers.killAll(pidsIn(ctl("status").stdout()));

        Cli.Result unknown = ctl("stop", "nosuch");
        assertEquals(1, unknown.exitCode(), unknown.all());
        assertTrue(unknown.stderr().contains("nosuch"), unknown.all());

        Posix.kill((int) sup, Signal.SIGHUP);
        assertTrue(eventually(Duration.ofSeconds(10), () -> Files.exists(hups)), "HUP reached the program");

        Cli.Result stopped = Cli.run("stop", "--pidfile", pidfile.toString());
        assertEquals(0, stopped.exitCode(), stopped.all());
        for (long pid : pidsOf(leftovers.pids())) {
            assertTrue(Processes.waitGone(pid, Duration.ofSeconds(5)), "program " + pid + " stopped with the supervisor");
        }
        assertFalse(Files.exists(sock), "control socket removed");
        assertEquals(1, ctl("status").exitCode(), "nothing answers any more");
    }

    @Test
    void preforkServesFromSeveralPidsAndReplacesAKilledWorker() throws Exception {
        int port = Processes.freeLoopbackPort();
        Path pidfile = dir.resolve("prefork.pid");
        leftovers.stop(pidfile);
        List<String> argv = new ArrayList<>(List.of("prefork", "--workers", "3", "--listen", "127.0.0.1:" + port,
                "--pidfile", pidfile.toString(), "--log", dir.resolve("prefork.log").toString(), "--start-seconds", "0",
                "--"));
        argv.addAll(Cli.javaCommand("dev.daemonkit.cli.PreforkWorker"));
        Cli.Result start = Cli.run(argv.toArray(String[]::new));
        assertEquals(0, start.exitCode(), start.all());

        Set<Long> pids = new HashSet<>();
        assertTrue(eventually(Duration.ofSeconds(30), () -> {
            request(port).ifPresent(pids::add);
            return pids.size() >= 2;
        }), "served by " + pids);
        leftovers.killAll(pids);

        // Keep a client busy while one worker is killed: only a connection that worker had
        // already accepted can fail; the others wait in the shared backlog for the survivors.
        long victim = pids.iterator().next();
        AtomicBoolean go = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        Thread client = Thread.ofPlatform().start(() -> {
            while (go.get()) {
                if (request(port).isPresent()) {
                    ok.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                }
            }
        });
        Thread.sleep(200);
        Posix.kill((int) victim, Signal.SIGKILL);
        Set<Long> after = new HashSet<>();
        boolean replaced = eventually(Duration.ofSeconds(30), () -> {
            request(port).ifPresent(after::add);
            return after.stream().anyMatch(p -> !pids.contains(p));
        });
        go.set(false);
        client.join();
        leftovers.killAll(after);
        assertTrue(replaced, "a new worker took the killed one's place: " + after);
        assertFalse(after.contains(victim));
        assertTrue(failed.get() <= 1, "failed " + failed + " of " + (ok.get() + failed.get()));
        assertTrue(ok.get() > 10, "served " + ok);

        assertEquals(0, Cli.run("stop", "--pidfile", pidfile.toString()).exitCode());
        for (long pid : pidsOf(leftovers.pids())) {
            assertTrue(Processes.waitGone(pid, Duration.ofSeconds(10)), "worker " + pid + " gone");
        }
    }

    @Test
    void preforkWorksWithServeAsItsWorkerAndReopenLogsLeavesTheWorkersRunning() throws Exception {
        int port = Processes.freeLoopbackPort();
        Path www = Files.createDirectory(dir.resolve("www"));
        Files.writeString(www.resolve("index.html"), "prefork serves\n");
        Path pidfile = dir.resolve("pf.pid");
        leftovers.stop(pidfile);
        List<String> argv = new ArrayList<>(List.of("prefork", "--workers", "2", "--listen", "127.0.0.1:" + port,
                "--pidfile", pidfile.toString(), "--log", dir.resolve("pf.log").toString(), "--"));
        argv.addAll(Cli.command("serve", "--root", www.toString())); // the README's example server, on fd 0
        Cli.Result start = Cli.run(argv.toArray(String[]::new));
        assertEquals(0, start.exitCode(), start.all());
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        java.net.http.HttpRequest get = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(5)).build();
        assertTrue(eventually(Duration.ofSeconds(30), () -> {
            try {
                return http.send(get, java.net.http.HttpResponse.BodyHandlers.ofString()).body().equals("prefork serves\n");
            } catch (IOException | InterruptedException e) {
                return false;
            }
        }), "served on the prefork port: " + Files.readString(dir.resolve("pf.log")));
        String[] seen = {""};
        assertTrue(eventually(Duration.ofSeconds(20), () -> { // RUNNING after --start-seconds
            try {
                seen[0] = Cli.run("ctl", "--pidfile", pidfile.toString(), "status").stdout();
            } catch (IOException | InterruptedException e) {
                return false;
            }
            return seen[0].lines().filter(l -> l.contains("RUNNING")).count() == 2;
        }), seen[0]);
        String before = seen[0];
        // reopen-logs signals the master, which forwards USR1 to the workers: serve must survive it.
        Cli.Result reopen = Cli.run("reopen-logs", "--pidfile", pidfile.toString());
        assertEquals(0, reopen.exitCode(), reopen.all());
        Thread.sleep(500);
        String after = Cli.run("ctl", "--pidfile", pidfile.toString(), "status").stdout();
        assertEquals(before.lines().map(l -> l.replaceAll("for .*", "")).toList(),
                after.lines().map(l -> l.replaceAll("for .*", "")).toList(), "the same workers, still running");
        assertEquals(200, http.send(get, java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(0, Cli.run("stop", "--pidfile", pidfile.toString()).exitCode());
    }

    @Test
    void badInputIsRejectedWithExit2() throws Exception {
        assertEquals(2, Cli.run("supervise").exitCode());
        assertEquals(2, Cli.run("supervise", "--restart", "sometimes", "--", "true").exitCode());
        Cli.Result missing = Cli.run("supervise", "--", "/no/such/program");
        assertEquals(2, missing.exitCode());
        assertTrue(missing.stderr().contains("/no/such/program: no such file"), missing.all()); // a path: the shell's words
        assertFalse(missing.stderr().contains("usage:"), "not a usage error: " + missing.all());
        Path conf = dir.resolve("bad.ini");
        Files.writeString(conf, "[program:x]\ncommand = true\nautostart_typo = 1\n");
        Cli.Result bad = Cli.run("supervise", "--config", conf.toString());
        assertEquals(2, bad.exitCode());
        assertTrue(bad.stderr().contains(conf + ":3:"), bad.all());
        Files.writeString(conf, "[program:x]\ncommand = true\nstopwaitsecs = 1h\nredirect_stderr = maybe\n");
        Cli.Result notABoolean = Cli.run("supervise", "--config", conf.toString());
        assertEquals(2, notABoolean.exitCode(), notABoolean.all());
        assertTrue(notABoolean.stderr().contains(conf + ":4: redirect_stderr: needs true or false"), notABoolean.all());
        Cli.Result badFlag = Cli.run("supervise", "--stop-timeout", "soon", "--", "true");
        assertEquals(2, badFlag.exitCode(), badFlag.all());
        assertTrue(badFlag.stderr().contains("--stop-timeout: needs a duration"), badFlag.all());
        assertEquals(2, Cli.run("prefork", "--workers", "2", "--listen", "nocolon", "--", "true").exitCode());
        assertEquals(2, Cli.run("ctl", "status").exitCode());
        // A request of the wrong shape is bad usage, said before any supervisor is asked.
        String sock = dir.resolve("none.sock").toString();
        Cli.Result frob = Cli.run("ctl", "--control", sock, "frob");
        assertEquals(2, frob.exitCode(), frob.all());
        assertTrue(frob.stderr().contains("unknown request 'frob'"), frob.all());
        Cli.Result bogus = Cli.run("ctl", "--control", sock, "signal", "BOGUS");
        assertEquals(2, bogus.exitCode(), bogus.all());
        assertTrue(bogus.stderr().contains("unknown signal: BOGUS"), bogus.all());
        assertEquals(2, Cli.run("ctl", "--control", sock, "stop").exitCode(), "stop needs a name");
        assertEquals(1, Cli.run("ctl", "--control", sock, "status").exitCode(), "well formed, nobody answers");
    }

    @Test
    void preforkOnAPortInUseFailsWithExit1() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            Cli.Result r = Cli.run("prefork", "--workers", "1", "--listen", "127.0.0.1:" + taken.getLocalPort(), "--",
                    "sleep", "100");
            assertEquals(1, r.exitCode(), r.all());
            assertTrue(r.stderr().contains("EADDRINUSE"), r.all());
        }
    }

    private Cli.Result ctl(String... request) {
        return ctlAt("sup.sock", request);
    }

    private Cli.Result ctlAt(String socket, String... request) {
        List<String> argv = new ArrayList<>(List.of("ctl", "--control", dir.resolve(socket).toString()));
        argv.addAll(List.of(request));
        try {
            return Cli.run(argv.toArray(String[]::new));
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Long> pidsIn(String status) {
        List<Long> pids = new ArrayList<>();
        Matcher m = Pattern.compile("(?:RUNNING|STARTING|STOPPING)\\s+pid (\\d+)").matcher(status);
        while (m.find()) {
            pids.add(Long.parseLong(m.group(1)));
        }
        return pids;
    }

    private static Set<Long> pidsOf(List<Long> pids) {
        return new HashSet<>(pids);
    }

    private static java.util.Optional<Long> request(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            InputStream in = s.getInputStream();
            String line = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
            return line.startsWith("pid ") ? java.util.Optional.of(Long.parseLong(line.substring(4))) : java.util.Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return java.util.Optional.empty();
        }
    }
}
