package dev.daemonkit.cli;

import static dev.daemonkit.testkit.Processes.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.testkit.Cli;
import dev.daemonkit.testkit.Leftovers;
import dev.daemonkit.testkit.Processes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Issue 9's operations: reload, reopen-logs, privileged start then drop, parent-death signal. */
class OpsCliTest {
    @TempDir
    Path dir;
    @RegisterExtension
    final Leftovers leftovers = new Leftovers();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private int serve(Path root, Path pidfile, Path log, String... more) throws Exception {
        int port = Processes.freeLoopbackPort();
        leftovers.stop(pidfile);
        List<String> argv = new ArrayList<>(List.of("serve", "--root", root.toString(), "--port", Integer.toString(port),
                "--pidfile", pidfile.toString(), "--log", log.toString()));
        argv.addAll(List.of(more));
        Cli.Result r = Cli.run(argv.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.all());
        return port;
    }

    @Test
    void reloadResolvesTheRootAgainAfterASymlinkSwitch() throws Exception {
        Files.createDirectories(dir.resolve("r1"));
        Files.createDirectories(dir.resolve("r2"));
        Files.writeString(dir.resolve("r1/a.txt"), "one\n");
        Files.writeString(dir.resolve("r2/b.txt"), "two\n");
        Path current = dir.resolve("current");
        Files.createSymbolicLink(current, Path.of("r1"));
        Path pidfile = dir.resolve("s.pid");
        int port = serve(current, pidfile, dir.resolve("s.log"));
        assertEquals(200, get(port, "/a.txt").statusCode());
        assertEquals(404, get(port, "/b.txt").statusCode());

        Path next = dir.resolve("current.next");
        Files.createSymbolicLink(next, Path.of("r2"));
        Files.move(next, current, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Cli.Result r = Cli.run("reload", "--pidfile", pidfile.toString());
        assertEquals(0, r.exitCode(), r.all());
        assertTrue(eventually(Duration.ofSeconds(5), () -> status(port, "/b.txt") == 200), "the new release is served");
        assertEquals("two\n", get(port, "/b.txt").body());
        assertTrue(Files.readString(dir.resolve("s.log")).contains("reloaded: serving " + dir.resolve("r2").toRealPath()));
    }

    @Test
    void logrotateMoveThenReopenLosesNoLine() throws Exception {
        Files.createDirectories(dir.resolve("www"));
        Path pidfile = dir.resolve("s.pid");
        Path log = dir.resolve("access.log");
        int port = serve(dir.resolve("www"), pidfile, log);
        // A client writes access-log lines all the time, each request with its own number (a
        // request whose answer was lost under load is not sent again: that would log it twice).
        AtomicBoolean go = new AtomicBoolean(true);
        AtomicInteger numbers = new AtomicInteger();
        Set<Integer> answered = ConcurrentHashMap.newKeySet();
        Thread client = Thread.ofPlatform().start(() -> {
            while (go.get()) {
                int n = numbers.getAndIncrement();
                if (status(port, "/req-" + n) == 404) {
                    answered.add(n);
                }
            }
        });
        try {
            assertTrue(eventually(Duration.ofSeconds(10), () -> answered.size() > 50));
            Path rotated = dir.resolve("access.log.1");
            Files.move(log, rotated); // what logrotate does (without copytruncate)
            Cli.Result r = Cli.run("reopen-logs", "--pidfile", pidfile.toString());
            assertEquals(0, r.exitCode(), r.all());
            int atReopen = answered.size();
            assertTrue(eventually(Duration.ofSeconds(10), () -> answered.size() > atReopen + 50));
        } finally {
            go.set(false);
            client.join();
        }
        int total = numbers.get();
        int last = answered.stream().max(Integer::compare).orElseThrow();
        // The access log is written after the response: give the last line a moment to land.
        assertTrue(eventually(Duration.ofSeconds(5), () -> read(log).contains("/req-" + last + " ")));
        String before = Files.readString(dir.resolve("access.log.1"));
        String after = Files.readString(log);
        assertTrue(after.contains("reopened log files"), after);
        for (int i = 0; i < total; i++) {
            String line = "\"GET /req-" + i + " HTTP/1.1\" 404";
            String q = java.util.regex.Pattern.quote(line);
            int count = (before.split(q, -1).length - 1) + (after.split(q, -1).length - 1);
            if (answered.contains(i)) {
                assertEquals(1, count, "request " + i + " of " + total + " logged exactly once");
            } else {
                assertTrue(count <= 1, "request " + i + " (its answer lost) logged at most once: " + count);
            }
        }
        assertTrue(answered.size() > total / 2, answered.size() + " of " + total + " requests answered");
        assertTrue(after.contains("/req-" + last + " "), "the new file gets the new lines");
    }

    @Test
    void reloadIsRefusedForAProgramThatWouldDieOfIt() throws Exception {
        Path pidfile = dir.resolve("sleep.pid");
        leftovers.stop(pidfile);
        assertEquals(0, Cli.run("start", "--pidfile", pidfile.toString(), "--", "sleep", "300").exitCode());
        long pid = Processes.readPid(pidfile).orElseThrow();
        Cli.Result r = Cli.run("reload", "--pidfile", pidfile.toString());
        assertEquals(1, r.exitCode(), r.all());
        assertTrue(r.stderr().contains("does not catch SIGHUP"), r.all());
        Cli.Result reopen = Cli.run("reopen-logs", "--pidfile", pidfile.toString());
        assertEquals(1, reopen.exitCode(), reopen.all());
        assertTrue(Processes.alive(pid), "nothing was sent");
        Cli.Result none = Cli.run("reload", "--pidfile", dir.resolve("none.pid").toString());
        assertEquals(1, none.exitCode(), none.all());
        assertTrue(none.stderr().contains("not running"), none.all());
    }

    @Test
    void privilegedBindThenDropToNobody() throws Exception {
        assumeTrue(Posix.geteuid() == 0, "privilege drop needs root; this run is not root");
        Path www = dir.resolve("www");
        Files.createDirectories(www);
        Files.writeString(www.resolve("a.txt"), "hi\n");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(www, PosixFilePermissions.fromString("rwxr-xr-x"));
        int port = freePrivilegedPort();
        Path pidfile = dir.resolve("p.pid");
        Path log = dir.resolve("p.log");
        leftovers.stop(pidfile);
        // From a class path nobody can read, as a deployment would be (the clone may sit under a 0700 home).
        Cli.Result r = Cli.runDeployed("serve", "--root", www.toString(), "--port", Integer.toString(port), "--pidfile",
                pidfile.toString(), "--log", log.toString(), "--user", "nobody", "--prevent-core");
        assertEquals(0, r.exitCode(), r.all());
        long pid = Processes.readPid(pidfile).orElseThrow();
        assertEquals(200, get(port, "/a.txt").statusCode(), "bound port " + port + " as root");
        String uid = Integer.toString(dev.daemonkit.daemon.Privileges.lookup("nobody", null).uid());
        String gid = Integer.toString(dev.daemonkit.daemon.Privileges.lookup("nobody", null).gid());
        assertEquals(List.of(uid, uid, uid, uid), List.of(Processes.status(pid, "Uid").orElseThrow().split("\\s+")));
        assertEquals(List.of(gid, gid, gid, gid), List.of(Processes.status(pid, "Gid").orElseThrow().split("\\s+")));
        assertFalse(List.of(Processes.status(pid, "Groups").orElse("").split("\\s+")).contains("0"), "no root group");
        assertEquals("0000000000000000", Processes.status(pid, "CapEff").orElseThrow());
        assertTrue(Files.readAllLines(Path.of("/proc/" + pid + "/limits")).stream()
                .anyMatch(l -> l.matches("Max core file size\\s+0\\s+0\\s+bytes\\s*")), "--prevent-core");
        assertEquals(Integer.parseInt(uid), Files.getAttribute(log, "unix:uid"), "log handed to the user for reopening");
        assertFalse(r.all().contains("not handed to uid"), "stdout and stderr share the log: handed over once, no warning: "
                + r.all());
    }

    @Test
    void anUnknownUserIsABadUsageAndNothingStarts() throws Exception {
        Path pidfile = dir.resolve("x.pid");
        Cli.Result r = Cli.run("serve", "--root", dir.toString(), "--pidfile", pidfile.toString(), "--user",
                "no-such-user-here");
        assertEquals(2, r.exitCode(), r.all());
        assertTrue(r.stderr().contains("no such user"), r.all());
        assertFalse(Files.exists(pidfile));
    }

    @Test
    void parentDeathSignalStopsChildrenOfAKilledSupervisor() throws Exception {
        assumeTrue(Processes.hasSetpriv(), "--pdeathsig needs util-linux setpriv, which is not installed here");
        Path withSig = dir.resolve("with");
        Path without = dir.resolve("without");
        Process a = startSupervisor(withSig, "--pdeathsig", "TERM");
        Process b = startSupervisor(without);
        try {
            assertTrue(eventually(Duration.ofSeconds(20), () -> Processes.readPid(withSig).isPresent()
                    && Processes.readPid(without).isPresent()));
            long protectedChild = Processes.readPid(withSig).orElseThrow();
            long plainChild = Processes.readPid(without).orElseThrow();
            leftovers.kill(protectedChild);
            leftovers.kill(plainChild);
            a.destroyForcibly().waitFor();
            b.destroyForcibly().waitFor();
            assertTrue(Processes.waitGone(protectedChild, Duration.ofSeconds(5)),
                    "SIGKILLed supervisor: its child got SIGTERM from the kernel");
            Thread.sleep(300);
            assertTrue(Processes.alive(plainChild), "without --pdeathsig the child outlives it (why the option exists)");
        } finally {
            a.destroyForcibly().waitFor();
            b.destroyForcibly().waitFor();
        }
    }

    private Process startSupervisor(Path pidOut, String... options) throws IOException {
        List<String> argv = new ArrayList<>(List.of("supervise", "--start-seconds", "0"));
        argv.addAll(List.of(options));
        argv.addAll(List.of("--", "sh", "-c", "echo $$ > " + pidOut + ".tmp; mv " + pidOut + ".tmp " + pidOut
                + "; exec sleep 300"));
        return new ProcessBuilder(Cli.command(argv.toArray(String[]::new))).redirectErrorStream(true)
                .redirectOutput(dir.resolve(pidOut.getFileName() + ".out").toFile()).start();
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private int status(int port, String path) {
        try {
            return get(port, path).statusCode();
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    private static int freePrivilegedPort() {
        for (int port = 900; port < 1000; port++) {
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress("127.0.0.1", port));
                return port;
            } catch (IOException busy) {
                // next
            }
        }
        throw new IllegalStateException("no free port in 900..999");
    }
}
