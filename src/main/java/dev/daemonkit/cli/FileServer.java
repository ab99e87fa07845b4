package dev.daemonkit.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A static file server on the JDK's HTTP server: the article's agentD, done safely. Serves
 * regular files under the root only — every path is decoded once, checked segment by segment,
 * then resolved with symlinks followed and compared with the real root, so {@code ../},
 * encoded and double-encoded traversal, absolute paths, NUL bytes and symlinks leading out all
 * end in 404 or 400. No directory listings; GET and HEAD only.
 */
final class FileServer {
    private static final Logger ACCESS = LoggerFactory.getLogger("access");
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"), Map.entry("htm", "text/html; charset=utf-8"),
            Map.entry("txt", "text/plain; charset=utf-8"), Map.entry("md", "text/markdown; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"), Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("json", "application/json"), Map.entry("xml", "application/xml"),
            Map.entry("svg", "image/svg+xml"), Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"),
            Map.entry("jpeg", "image/jpeg"), Map.entry("gif", "image/gif"), Map.entry("ico", "image/x-icon"),
            Map.entry("pdf", "application/pdf"), Map.entry("jar", "application/java-archive"),
            Map.entry("java", "text/plain; charset=utf-8"), Map.entry("sh", "text/plain; charset=utf-8"));

    private final Path configuredRoot;
    private volatile Path root;
    private final HttpServer server;
    private final ExecutorService pool;

    /**
     * Binds at once (so that a port in use fails here, before readiness is reported).
     *
     * @throws IOException "Address already in use" and the like, naming the address
     */
    FileServer(Path root, InetSocketAddress address) throws IOException {
        this.configuredRoot = root;
        this.root = root.toRealPath();
        try {
            this.server = HttpServer.create(address, 64);
        } catch (IOException e) {
            throw new IOException("cannot listen on " + address.getHostString() + ":" + address.getPort() + ": "
                    + e.getMessage(), e);
        }
        this.pool = Executors.newFixedThreadPool(8, Thread.ofPlatform().name("http-", 0).daemon(false).factory());
        server.setExecutor(pool);
        server.createContext("/", this::handle);
    }

    void start() {
        server.start();
    }

    /**
     * Reload (SIGHUP): resolves the root again, so a deploy that switches a symlink
     * ({@code current -> releases/42}) takes effect without a restart.
     */
    Path reload() throws IOException {
        root = configuredRoot.toRealPath();
        return root;
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** Stops accepting, lets requests in flight finish (up to {@code grace}), then stops the workers. */
    void stop(Duration grace) {
        server.stop((int) Math.max(1, grace.toSeconds()));
        pool.shutdown();
    }

    private void handle(HttpExchange ex) throws IOException {
        int status;
        long length = 0;
        try (ex) {
            String method = ex.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                status = send(ex, 405, "method not allowed\n");
            } else {
                Resolution r = resolve(ex.getRequestURI().getRawPath());
                if (r.status != 200) {
                    status = send(ex, r.status, r.status == 400 ? "bad request\n" : "not found\n");
                } else {
                    length = Files.size(r.file);
                    ex.getResponseHeaders().set("Content-Type", contentType(r.file));
                    ex.getResponseHeaders().set("Last-Modified",
                            java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(
                                    Files.getLastModifiedTime(r.file).toInstant().atZone(java.time.ZoneOffset.UTC)));
                    status = 200;
                    if (method.equals("HEAD")) {
                        ex.getResponseHeaders().set("Content-Length", Long.toString(length));
                        ex.sendResponseHeaders(200, -1);
                    } else {
                        ex.sendResponseHeaders(200, length == 0 ? -1 : length);
                        try (InputStream in = Files.newInputStream(r.file); OutputStream out = ex.getResponseBody()) {
                            in.transferTo(out);
                        }
                    }
                }
            }
        }
        ACCESS.info("{} \"{} {} {}\" {} {}", ex.getRemoteAddress().getAddress().getHostAddress(), ex.getRequestMethod(),
                ex.getRequestURI().getRawPath(), ex.getProtocol(), status, length);
    }

    private static int send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
        } else {
            ex.sendResponseHeaders(status, b.length);
            ex.getResponseBody().write(b);
        }
        return status;
    }

    private record Resolution(int status, Path file) {
    }

    /** Maps a raw request path to a regular file under the root, or to 400/404. */
    Resolution resolve(String rawPath) {
        Optional<String> decoded = percentDecode(rawPath);
        if (decoded.isEmpty()) {
            return new Resolution(400, null);
        }
        String path = decoded.get();
        if (!path.startsWith("/") || path.indexOf('\0') >= 0 || path.indexOf('\\') >= 0) {
            return new Resolution(400, null);
        }
        Path root = this.root;
        Path candidate = root;
        for (String segment : path.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                return new Resolution(404, null);
            }
            candidate = candidate.resolve(segment);
        }
        try {
            Path real = candidate.toRealPath(); // follows symlinks: where the bytes really are
            if (!real.startsWith(root)) {
                return new Resolution(404, null);
            }
            if (Files.isDirectory(real)) {
                Path index = real.resolve("index.html");
                if (Files.isRegularFile(index, LinkOption.NOFOLLOW_LINKS)) {
                    return new Resolution(200, index);
                }
                return new Resolution(404, null); // no listings
            }
            return Files.isRegularFile(real) && Files.isReadable(real) ? new Resolution(200, real)
                    : new Resolution(404, null);
        } catch (NoSuchFileException e) {
            return new Resolution(404, null);
        } catch (IOException | java.nio.file.InvalidPathException e) {
            return new Resolution(404, null);
        }
    }

    /** Decodes %XX once (no '+' rule: this is a path, not a form); empty when malformed or not UTF-8. */
    static Optional<String> percentDecode(String raw) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    return Optional.empty();
                }
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return Optional.empty();
                }
                out.write(hi * 16 + lo);
                i += 2;
            } else {
                out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        var decoder = StandardCharsets.UTF_8.newDecoder();
        try {
            return Optional.of(decoder.decode(java.nio.ByteBuffer.wrap(out.toByteArray())).toString());
        } catch (java.nio.charset.CharacterCodingException e) {
            return Optional.empty();
        }
    }

    private static String contentType(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        return TYPES.getOrDefault(ext, "application/octet-stream");
    }
}
