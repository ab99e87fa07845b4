package dev.daemonkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The file server against real HTTP requests, including the traversal payloads. */
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
        server = new FileServer(root, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
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
        "/hello.txt%00.html", "/%00", "/etc/passwd", "/sub/", "/empty-dir", "/nope.txt", "/%zz"})
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
}
