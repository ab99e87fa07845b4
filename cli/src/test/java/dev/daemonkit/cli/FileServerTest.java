package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The file server against real HTTP requests: traversal payloads, limits, keep-alive, HEAD, a pre-bound channel. */
class FileServerTest {
    private static Path base;
    private static FileServer server;
    private static final String SECRET = "TOP-SECRET-" + System.nanoTime();

    @BeforeAll
    static void startServer() throws IOException {
        base = Files.createTempDirectory("dk-serve");
        Path root = Files.createDirectory(base.resolve("root"));
        Files.writeString(base.resolve("secret.txt"), SECRET);
        Files.writeString(root.resolve("hello.txt"), "hello\n");
        Files.writeString(root.resolve("page.html"), "<p>hi</p>");
        Files.createDirectory(root.resolve("sub"));
        Files.writeString(root.resolve("sub").resolve("a b.json"), "{}");
        Files.createDirectory(root.resolve("empty-dir"));
        Files.createSymbolicLink(root.resolve("escape"), base.resolve("secret.txt"));
        Files.createSymbolicLink(root.resolve("escape-dir"), base);
        Files.createSymbolicLink(root.resolve("inside"), root.resolve("hello.txt"));
        Files.createDirectories(root.resolve(".git"));
        Files.writeString(root.resolve(".git/config"), SECRET);
        Files.writeString(root.resolve(".env"), SECRET);
        Files.createSymbolicLink(root.resolve("git-config"), root.resolve(".git/config"));
        Files.createDirectories(root.resolve(".well-known"));
        Files.writeString(root.resolve(".well-known/security.txt"), "Contact: mailto:security@example.org\n");
        server = FileServer.bind(root, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), HttpLimits.DEFAULTS);
        server.start();
    }

    @AfterAll
    static void stopServer() throws IOException {
        server.stop(Duration.ofSeconds(1));
        try (var walk = Files.walk(base)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Sends a raw request line, so that the client cannot normalise the path first. */
    private static String raw(String method, String path) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write((method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static int status(String response) {
        return Integer.parseInt(response.substring(9, 12));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/../secret.txt", "/../../../../etc/passwd", "/sub/../../secret.txt", "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt", "/..%2fsecret.txt", "/%252e%252e/secret.txt", "/%252e%252e%252fsecret.txt",
        "/..%5csecret.txt", "/%c0%ae%c0%ae/secret.txt", "//etc/passwd", "/escape", "/escape-dir/secret.txt",
        "/hello.txt%00.html", "/%00", "/etc/passwd", "/sub/", "/empty-dir", "/nope.txt", "/%zz",
        "/.git/config", "/.env", "/%2egit/config", "/sub/../.env", "/git-config", "/./.env"})
    void traversalAndForbiddenPathsNeverLeakFiles(String path) throws IOException {
        String response = raw("GET", path);
        int code = status(response);
        assertTrue(code == 404 || code == 400, path + " gave " + response.lines().findFirst().orElse(""));
        assertFalse(response.contains(SECRET), path + " leaked the secret");
        assertFalse(response.contains("root:"), path + " leaked /etc/passwd");
    }

    @Test
    void servesFilesWithTypeAndLength() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        URI uri = URI.create("http://127.0.0.1:" + server.port() + "/hello.txt");
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals("hello\n", r.body());
        assertEquals("text/plain; charset=utf-8", r.headers().firstValue("content-type").orElseThrow());
        assertEquals("6", r.headers().firstValue("content-length").orElseThrow());

        HttpResponse<String> html = client.send(HttpRequest.newBuilder(uri.resolve("/page.html")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("text/html; charset=utf-8", html.headers().firstValue("content-type").orElseThrow());
        HttpResponse<String> json = client.send(HttpRequest.newBuilder(uri.resolve("/sub/a%20b.json")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, json.statusCode());
        assertEquals("application/json", json.headers().firstValue("content-type").orElseThrow());
        HttpResponse<String> link = client.send(HttpRequest.newBuilder(uri.resolve("/inside")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("hello\n", link.body(), "a symlink that stays inside the root is fine");
        HttpResponse<String> wellKnown = client.send(HttpRequest.newBuilder(uri.resolve("/.well-known/security.txt"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, wellKnown.statusCode(), "RFC 8615's .well-known is the one dot directory served");
    }

    @Test
    void headHasLengthButNoBodyAndOtherMethodsGet405() throws IOException {
        String head = raw("HEAD", "/hello.txt");
        assertEquals(200, status(head));
        assertTrue(head.toLowerCase().contains("content-length: 6"), head);
        assertTrue(head.endsWith("\r\n\r\n"), "no body after the headers: " + head);
        for (String m : new String[] {"POST", "PUT", "DELETE"}) {
            String r = raw(m, "/hello.txt");
            assertEquals(405, status(r), m);
            assertTrue(r.contains("Allow: GET, HEAD"), r);
        }
    }

    @Test
    void aRequestTargetOverTheCapGets414AndAHugeOneIsRejectedAtOnce() throws IOException {
        String justFits = "/" + "a".repeat(HttpLimits.DEFAULTS.maxTargetLength() - 1);
        assertEquals(404, status(raw("GET", justFits)), "8192 bytes: within the cap, just not there");
        assertEquals(414, status(raw("GET", justFits + "a")));
        // The old server resolved a 300 KB path segment by segment: 4.7 s and 2.6 GB of RSS.
        // Now only the first 8 KiB are read; the answer comes while the client is still sending.
        String huge = "/" + "x/".repeat(150_000);
        try (RawHttp c = new RawHttp(server.port())) {
            c.send(RawHttp.request("GET", huge, true));
            RawHttp.Response r = c.read(false);
            assertEquals(414, r.status(), r.head());
            assertEquals("close", r.header("Connection"));
            assertTrue(c.closedByPeer(10_000), "closed after the 414");
        }
        assertEquals(200, status(raw("GET", "/hello.txt")), "still serving");
    }

    @Test
    void tooManySegmentsGet400() throws IOException {
        int max = HttpLimits.DEFAULTS.maxSegments();
        assertEquals(404, status(raw("GET", "/a".repeat(max))), max + " segments: allowed (and not there)");
        assertEquals(400, status(raw("GET", "/a".repeat(max + 1))));
        assertEquals(400, status(raw("GET", "/a".repeat(max - 1) + "/b%2fc")), "an encoded slash is a separator too");
        assertEquals(400, status(raw("GET", "/" + "/".repeat(max))), "empty segments count");
    }

    @Test
    void oversizedOrMalformedHeadsGetTheirStatus() throws IOException {
        String manyFields = "X-A: b\r\n".repeat(HttpLimits.DEFAULTS.maxHeaders() + 1);
        assertEquals(431, status(rawHead("GET /hello.txt HTTP/1.1\r\nHost: h\r\n" + manyFields + "\r\n")));
        String bigField = "X-Big: " + "b".repeat(HttpLimits.DEFAULTS.maxHeadBytes()) + "\r\n";
        assertEquals(431, status(rawHead("GET /hello.txt HTTP/1.1\r\nHost: h\r\n" + bigField + "\r\n")));
        assertEquals(400, status(rawHead("GET /hello.txt HTTP/1.1\r\n\r\n")), "HTTP/1.1 without Host");
        assertEquals(400, status(rawHead("GET /hello.txt HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n")));
        assertEquals(400, status(rawHead("GET /hello.txt HTTP/1.1\r\nHost : h\r\n\r\n")), "space before colon");
        assertEquals(400, status(rawHead("GET  /hello.txt HTTP/1.1\r\nHost: h\r\n\r\n")), "two spaces");
        assertEquals(400, status(rawHead("GET /hello.txt HTTP/1.1\rHost: h\r\n\r\n")), "bare CR");
        assertEquals(505, status(rawHead("GET /hello.txt HTTP/2.0\r\nHost: h\r\n\r\n")));
        assertEquals(400, status(rawHead("GET /hello.txt FTP/1.0\r\n\r\n")));
        String ok = rawHead("\r\nGET /hello.txt HTTP/1.0\n\n");
        assertEquals(200, status(ok), "HTTP/1.0 without Host, bare LFs, a leading empty line: accepted");
        assertTrue(ok.contains("Connection: close"), ok);
        assertEquals(200, status(raw("GET", "http://127.0.0.1/hello.txt?x=1")), "absolute-form and a query");
    }

    @Test
    void keepAliveServesSeveralRequestsOnOneConnectionAndHeadHasNoBody() throws IOException {
        try (RawHttp c = new RawHttp(server.port())) {
            RawHttp.Response head = c.send(RawHttp.request("HEAD", "/hello.txt", false)).read(true);
            assertEquals(200, head.status());
            assertEquals("6", head.header("Content-Length"), "HEAD: the length GET would send");
            assertNull(head.header("Connection"), "HTTP/1.1 stays open by default");
            // If HEAD had sent a body, its bytes would now be read as the next status line.
            RawHttp.Response get = c.send(RawHttp.request("GET", "/hello.txt", false)).read(false);
            assertEquals(200, get.status(), get.head());
            assertEquals("hello\n", get.body());
            // Pipelined: two requests in one write, answered in order.
            c.send(RawHttp.request("GET", "/page.html", false) + RawHttp.request("GET", "/nope", false));
            assertEquals("<p>hi</p>", c.read(false).body());
            assertEquals(404, c.read(false).status());
            RawHttp.Response last = c.send(RawHttp.request("GET", "/hello.txt", true)).read(false);
            assertEquals("close", last.header("Connection"));
            assertTrue(c.closedByPeer(10_000));
        }
        try (RawHttp c = new RawHttp(server.port())) {
            c.send("GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            RawHttp.Response r = c.read(false);
            assertEquals("keep-alive", r.header("Connection"), "HTTP/1.0 keep-alive is announced");
            assertEquals(200, c.send("GET /hello.txt HTTP/1.0\r\n\r\n").read(false).status());
            assertTrue(c.closedByPeer(10_000), "HTTP/1.0 without keep-alive: closed after the response");
        }
    }

    @Test
    void lastModifiedAndIfModifiedSince() throws IOException {
        try (RawHttp c = new RawHttp(server.port())) {
            RawHttp.Response r = c.send(RawHttp.request("GET", "/hello.txt", false)).read(false);
            String lastModified = r.header("Last-Modified");
            assertTrue(lastModified.matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT"),
                    lastModified);
            assertTrue(r.header("Date").endsWith(" GMT"), r.head());
            c.send("GET /hello.txt HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: " + lastModified + "\r\n\r\n");
            RawHttp.Response same = c.read(false);
            assertEquals(304, same.status(), same.head());
            assertEquals("", same.body());
            c.send("GET /hello.txt HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT\r\n\r\n");
            assertEquals(200, c.read(false).status(), "changed since then");
            c.send("GET /hello.txt HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: yesterday\r\n\r\n");
            assertEquals(200, c.read(false).status(), "an unparsable date is ignored");
        }
    }

    @Test
    void servesOnAnAlreadyBoundChannel() throws IOException {
        Path root = base.resolve("root");
        try (ServerSocketChannel bound = ServerSocketChannel.open()) {
            bound.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            FileServer inherited = FileServer.on(root, bound, HttpLimits.DEFAULTS);
            inherited.start();
            try {
                assertEquals(((InetSocketAddress) bound.getLocalAddress()).getPort(), inherited.port());
                try (RawHttp c = new RawHttp(inherited.port())) {
                    RawHttp.Response r = c.send(RawHttp.request("GET", "/hello.txt", true)).read(false);
                    assertEquals(200, r.status());
                    assertEquals("hello\n", r.body());
                }
            } finally {
                inherited.stop(Duration.ofSeconds(1));
            }
            assertFalse(bound.isOpen(), "stop closes the listener it was given");
        }
        try (ServerSocketChannel unbound = ServerSocketChannel.open()) {
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                    () -> FileServer.on(root, unbound, HttpLimits.DEFAULTS));
            assertTrue(e.getMessage().contains("not bound"), e.getMessage());
        }
    }

    /** Sends a head exactly as given and reads until the server closes. */
    private static String rawHead(String head) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
