package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.testkit.Cli;
import dev.daemonkit.testkit.Processes;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example daemon started through the CLI, checked with a real HTTP client, stopped. */
class ServeCliTest {
    @TempDir
    Path dir;
    private long pid = -1;

    @AfterEach
    void cleanUp() {
        if (pid > 0) {
            Processes.killAndWait(pid);
        }
    }

    /**
     * Starts serve detached over dir/www (given relative to dir: it is resolved against the launch
     * directory) holding one file, pidfile dir/serve.pid, log dir/serve.log; returns the port.
     */
    private int startDetached(String file, String content, String... options) throws Exception {
        Path root = Files.createDirectory(dir.resolve("www"));
        Files.writeString(root.resolve(file), content);
        int port = Processes.freeLoopbackPort();
        List<String> argv = new ArrayList<>(List.of("serve", "--root", "www", "--port", Integer.toString(port),
                "--pidfile", dir.resolve("serve.pid").toString(), "--log", dir.resolve("serve.log").toString()));
        argv.addAll(List.of(options));
        Cli.Result r = Cli.run(dir, argv.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.all());
        pid = Processes.readPid(dir.resolve("serve.pid")).orElseThrow();
        return port;
    }

    @Test
    void detachedServerServesLogsAndStopsCleanly() throws Exception {
        int port = startDetached("index.html", "<h1>daemonkit</h1>");
        Path pidfile = dir.resolve("serve.pid");
        Path log = dir.resolve("serve.log");

        HttpResponse<String> resp = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, resp.statusCode());
        assertEquals("<h1>daemonkit</h1>", resp.body());
        assertTrue(Processes.eventually(java.time.Duration.ofSeconds(5),
                () -> read(log).contains("\"GET / HTTP/1.1\" 200 18")), read(log));

        assertEquals(0, Cli.run("status", "--pidfile", pidfile.toString()).exitCode());
        Cli.Result stop = Cli.run("stop", "--pidfile", pidfile.toString());
        assertEquals(0, stop.exitCode(), stop.all());
        assertFalse(stop.stdout().contains("SIGKILL"), stop.all());
        assertFalse(Processes.alive(pid));
        assertFalse(Files.exists(pidfile));
        assertTrue(read(log).contains("stopped"), read(log));
    }

    @Test
    void portInUseFailsTheLauncher() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path pidfile = dir.resolve("busy.pid");
            Cli.Result r = Cli.run("serve", "--root", dir.toString(), "--port", Integer.toString(taken.getLocalPort()),
                    "--pidfile", pidfile.toString());
            assertEquals(1, r.exitCode(), r.all());
            assertTrue(r.stderr().contains("Address already in use"), r.all());
            assertFalse(r.stderr().contains("use --log FILE"), "the daemon said why: no hint to keep its output: " + r.all());
            // The daemon exits by itself once it has said why: not reported as left running and stopped.
            assertFalse(r.stderr().contains("left pid") || r.stderr().contains("stopped what"), r.all());
            assertTrue(Processes.eventually(java.time.Duration.ofSeconds(5), () -> !Files.exists(pidfile)));
            // And in the foreground:
            Cli.Result fg = Cli.run("serve", "--root", dir.toString(), "--port", Integer.toString(taken.getLocalPort()));
            assertEquals(1, fg.exitCode(), fg.all());
            assertTrue(fg.stderr().contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()), fg.all());
        }
    }

    @Test
    void badInputIsUsageError() throws Exception {
        assertEquals(2, Cli.run("serve").exitCode());
        Cli.Result r = Cli.run("serve", "--root", dir.resolve("missing").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.stderr().contains("is not a directory"), r.all());
        assertEquals(2, Cli.run("serve", "--root", dir.toString(), "--port", "70000").exitCode());
        Cli.Result zero = Cli.run("serve", "--root", dir.toString(), "--max-connections", "0");
        assertEquals(2, zero.exitCode(), zero.all());
        assertTrue(zero.stderr().contains("--max-connections must be between 1"), zero.all());
        Cli.Result noTime = Cli.run("serve", "--root", dir.toString(), "--request-timeout", "0s");
        assertEquals(2, noTime.exitCode(), noTime.all());
        assertTrue(noTime.stderr().contains("--request-timeout must be longer than 0"), noTime.all());
        assertEquals(2, Cli.run("serve", "--root", dir.toString(), "--idle-timeout", "soon").exitCode());
    }

    @Test
    void theDaemonRejectsAHugePathAtOnceAndDropsSilentClients() throws Exception {
        int port = startDetached("a.txt", "a\n", "--request-timeout", "2s", "--idle-timeout", "1s",
                "--max-connections", "64");
        Path pidfile = dir.resolve("serve.pid");
        Path log = dir.resolve("serve.log");

        List<RawHttp> silent = new ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) {
                silent.add(new RawHttp(port));
            }
            try (RawHttp c = new RawHttp(port)) {
                // The measurement: 4.7 s and 2.6 GB of RSS for this one request.
                RawHttp.Response huge = c.send(RawHttp.request("GET", "/" + "x/".repeat(150_000), true)).read(false);
                assertEquals(414, huge.status(), huge.head());
            }
            try (RawHttp c = new RawHttp(port)) {
                RawHttp.Response ok = c.send(RawHttp.request("GET", "/a.txt", false)).read(false);
                assertEquals(200, ok.status(), "served while 16 silent clients hang");
                assertEquals("a\n", ok.body());
                assertTrue(c.closedByPeer(30_000), "an idle kept-alive connection is closed after --idle-timeout");
            }
            for (RawHttp c : silent) {
                assertTrue(c.closedByPeer(30_000), "a silent client is closed after --request-timeout");
            }
        } finally {
            for (RawHttp c : silent) {
                c.close();
            }
        }
        long peakKiB = Long.parseLong(Processes.status(pid, "VmHWM").orElseThrow().replaceAll("[^0-9]", ""));
        assertTrue(peakKiB < 1 << 20, "peak RSS far below the old 2.6 GB: " + peakKiB + " kB");
        assertTrue(read(log).contains("\"-\" 414 "), read(log));
        assertEquals(0, Cli.run("stop", "--pidfile", pidfile.toString()).exitCode());
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "";
        }
    }
}
