package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.daemonkit.testkit.Processes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server under clients that misbehave: sockets that send nothing or trickle a header, more
 * clients than connection slots, clients that never read, and a stop while a response is in
 * flight. No timing assertions beyond "served while they hang" and "closed within a generous bound".
 */
class FileServerAbuseTest {
    private static final Duration GENEROUS = Duration.ofSeconds(30);
    private static final int BIG = 16 << 20;

    @TempDir
    Path root;
    private final List<FileServer> servers = new ArrayList<>();
    private final List<AutoCloseable> clients = new ArrayList<>();
    private final AtomicBoolean trickling = new AtomicBoolean(true);

    @BeforeEach
    void files() throws IOException {
        Files.writeString(root.resolve("hello.txt"), "hello\n");
        Files.write(root.resolve("big.bin"), new byte[BIG]);
    }

    @AfterEach
    void cleanUp() throws Exception {
        trickling.set(false);
        for (AutoCloseable c : clients) {
            c.close();
        }
        for (FileServer s : servers) {
            s.stop(Duration.ofSeconds(1));
        }
    }

    private FileServer start(HttpLimits limits) throws IOException {
        FileServer s = FileServer.bind(root, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), limits);
        servers.add(s);
        s.start();
        return s;
    }

    private RawHttp connect(FileServer s) throws IOException {
        RawHttp c = new RawHttp(s.port());
        clients.add(c);
        return c;
    }

    @Test
    void silentAndTricklingClientsDoNotStopOthersAndAreDroppedAfterTheTimeout() throws Exception {
        Duration timeout = Duration.ofSeconds(4);
        FileServer s = start(HttpLimits.DEFAULTS.withTimeouts(timeout, timeout, timeout));
        List<RawHttp> silent = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            silent.add(connect(s)); // connect, send nothing
        }
        List<CompletableFuture<String>> trickled = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            trickled.add(trickle(connect(s))); // one header byte per second, never finishing
        }
        for (int i = 0; i < 5; i++) {
            try (RawHttp normal = new RawHttp(s.port())) {
                RawHttp.Response r = normal.send(RawHttp.request("GET", "/hello.txt", true)).read(false);
                assertEquals(200, r.status());
                assertEquals("hello\n", r.body());
            }
        }
        for (RawHttp c : silent) {
            assertFalse(c.closedByPeer(1), "the normal clients were served while the silent ones still hung");
        }
        assertTrue(s.openConnections() >= 20, "all 16 + 4 slow clients were being held at that moment");

        for (RawHttp c : silent) {
            assertTrue(c.closedByPeer((int) GENEROUS.toMillis()), "a silent client is closed after the timeout");
        }
        for (CompletableFuture<String> t : trickled) {
            String answer = t.get(GENEROUS.toSeconds(), TimeUnit.SECONDS);
            // Trickling does not extend the deadline: the head is due within the timeout of its first byte.
            assertTrue(answer.isEmpty() || answer.startsWith("HTTP/1.1 408 Request Timeout"), answer);
        }
        assertTrue(Processes.eventually(GENEROUS, () -> s.openConnections() == 0));
    }

    /** Writes "GET ... Host ... X-Slow: aaaa..." one byte a second; completes with what came back once closed. */
    private CompletableFuture<String> trickle(RawHttp c) {
        byte[] head = ("GET /hello.txt HTTP/1.1\r\nHost: h\r\nX-Slow: " + "a".repeat(1000)).getBytes(
                StandardCharsets.ISO_8859_1);
        Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < head.length && trickling.get(); i++) {
                    c.output().write(head[i]);
                    c.output().flush();
                    Thread.sleep(1000);
                }
            } catch (IOException | InterruptedException e) {
                // closed by the server: what the test waits for
            }
        });
        return CompletableFuture.supplyAsync(() -> {
            StringBuilder got = new StringBuilder();
            try {
                InputStream in = c.input();
                for (int b; (b = in.read()) >= 0; ) {
                    got.append((char) b);
                }
            } catch (IOException e) {
                // a reset after the 408 (we were still sending) is a close as well
            }
            return got.toString();
        });
    }

    @Test
    void aClientThatNeverReadsIsDroppedAfterTheSendTimeout() throws Exception {
        Duration timeout = Duration.ofSeconds(1);
        FileServer s = start(HttpLimits.DEFAULTS.withTimeouts(timeout, timeout, timeout));
        Socket lazy = new Socket();
        clients.add(lazy);
        lazy.setReceiveBufferSize(4096);
        lazy.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), s.port()));
        lazy.getOutputStream().write(RawHttp.request("GET", "/big.bin", false).getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(skipHead(lazy.getInputStream()) > 0, "the response has begun");
        assertTrue(Processes.eventually(GENEROUS, () -> s.openConnections() == 0),
                "16 MiB do not fit into the socket buffers; the server gives up instead of waiting forever");
        long got = drain(lazy.getInputStream());
        assertTrue(got < BIG, "the response was cut: " + got);
    }

    @Test
    void atTheConnectionBoundNewClientsWaitInTheBacklogUntilASlotFrees() throws Exception {
        FileServer s = start(HttpLimits.DEFAULTS.withMaxConnections(2));
        RawHttp first = connect(s);
        RawHttp second = connect(s);
        assertTrue(Processes.eventually(GENEROUS, () -> s.openConnections() == 2));
        CompletableFuture<Integer> third = CompletableFuture.supplyAsync(() -> {
            try (RawHttp c = new RawHttp(s.port())) {
                return c.send(RawHttp.request("GET", "/hello.txt", true)).read(false).status();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(500);
        assertFalse(third.isDone(), "both slots are held: the third client is not served yet");
        assertEquals(2, s.openConnections());
        first.close();
        assertEquals(200, third.get(GENEROUS.toSeconds(), TimeUnit.SECONDS), "served once a slot was free");
        assertFalse(second.closedByPeer(1), "the other slow client is untouched (its timeout has not passed)");
    }

    @Test
    void stopFinishesAResponseInFlightClosesIdleConnectionsAndRefusesNewOnes() throws Exception {
        // A send timeout far longer than the test: only stop() may end the download.
        FileServer s = start(HttpLimits.DEFAULTS.withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(5),
                Duration.ofMinutes(5)));
        int port = s.port();
        RawHttp idle = connect(s);
        assertEquals(200, idle.send(RawHttp.request("GET", "/hello.txt", false)).read(false).status());
        Socket downloading = new Socket();
        clients.add(downloading);
        downloading.setReceiveBufferSize(4096);
        downloading.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        downloading.getOutputStream().write(RawHttp.request("GET", "/big.bin", false)
                .getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = downloading.getInputStream();
        int headBytes = skipHead(in);
        assertTrue(headBytes > 0);

        Thread stopper = Thread.ofPlatform().start(() -> s.stop(Duration.ofSeconds(20)));
        assertTrue(idle.closedByPeer((int) GENEROUS.toMillis()), "an idle kept-alive connection ends at once");
        assertTrue(Processes.eventually(GENEROUS, () -> {
            try (Socket late = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return false;
            } catch (ConnectException e) {
                return true;
            } catch (IOException e) {
                return false;
            }
        }), "no new connections once stopping");
        assertEquals(BIG, in.transferTo(OutputStream.nullOutputStream()), "the response in flight was finished");
        stopper.join(GENEROUS.toMillis());
        assertFalse(stopper.isAlive(), "stop returned once the last response was sent");
        assertEquals(0, s.openConnections());
    }

    @Test
    void stopClosesWhatIsLeftAfterTheGrace() throws Exception {
        FileServer s = start(HttpLimits.DEFAULTS);
        int port = s.port();
        Socket stuck = new Socket();
        clients.add(stuck);
        stuck.setReceiveBufferSize(4096);
        stuck.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        stuck.getOutputStream().write(RawHttp.request("GET", "/big.bin", false).getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(skipHead(stuck.getInputStream()) > 0);
        s.stop(Duration.ofMillis(300)); // the client reads nothing more: the grace runs out
        assertEquals(0, s.openConnections(), "stop returns once the stuck connection is closed");
        assertTrue(drain(stuck.getInputStream()) < BIG, "the stuck response was cut");
        assertThrows(ConnectException.class, () -> new Socket(InetAddress.getLoopbackAddress(), port).close());
    }

    /** Reads to the end; a reset (the server closed with our bytes unread) ends it as well. */
    private static long drain(InputStream in) {
        long n = 0;
        byte[] buf = new byte[65536];
        try {
            for (int r; (r = in.read(buf)) >= 0; ) {
                n += r;
            }
        } catch (IOException e) {
            // reset
        }
        return n;
    }

    private static int skipHead(InputStream in) throws IOException {
        int n = 0;
        for (int matched = 0; matched < 4; n++) {
            int c = in.read();
            if (c < 0) {
                return -1;
            }
            matched = c == "\r\n\r\n".charAt(matched) ? matched + 1 : (c == '\r' ? 1 : 0);
        }
        return n;
    }

    @Test
    void aDirectorySwappedForALinkDuringRequestsNeverServesAFileOutsideTheRoot(@TempDir Path outside) throws Exception {
        Files.createDirectories(root.resolve("up/d"));
        Files.writeString(root.resolve("up/d/shadow"), "decoy\n");
        Files.writeString(outside.resolve("shadow"), "SECRET\n");
        Files.createSymbolicLink(root.resolve("up/l"), outside);
        FileServer s = start(HttpLimits.DEFAULTS);
        // Whoever can write "up" exchanges the directory and the link as fast as it can
        // (renameat2 RENAME_EXCHANGE, atomically), for 3 s.
        String swap = "import ctypes, sys, time\n"
                + "libc = ctypes.CDLL(None, use_errno=True)\n"
                + "a, b, end = sys.argv[1].encode(), sys.argv[2].encode(), time.time() + float(sys.argv[3])\n"
                + "n = 0\n"
                + "while time.time() < end:\n"
                + "    if libc.renameat2(-100, a, -100, b, 2) != 0: sys.exit('renameat2: errno %d' % ctypes.get_errno())\n"
                + "    n += 1\n"
                + "print(n)\n";
        Process swapper = new ProcessBuilder("python3", "-c", swap, root.resolve("up/d").toString(),
                root.resolve("up/l").toString(), "3").redirectErrorStream(true).start();
        int requests = 0;
        int leaked = 0;
        String swaps;
        try {
            while (swapper.isAlive()) {
                var c = (java.net.HttpURLConnection) java.net.URI.create("http://127.0.0.1:" + s.port() + "/up/d/shadow")
                        .toURL().openConnection();
                if (c.getResponseCode() == 200) {
                    try (var in = c.getInputStream()) {
                        leaked += new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).contains("SECRET") ? 1 : 0;
                    }
                }
                requests++;
            }
            swaps = new String(swapper.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            assertEquals(0, swapper.waitFor(), swaps);
        } finally {
            swapper.destroyForcibly().waitFor();
        }
        assertTrue(requests > 100 && Long.parseLong(swaps) > 1000, requests + " requests, " + swaps + " swaps");
        assertEquals(0, leaked, "of " + requests + " requests during " + swaps + " swaps");
    }
}
