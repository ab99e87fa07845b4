package dev.daemonkit.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Maps a request-target to a regular file under the root, or to 400/404 — the part of the server
 * that decides what may be read. The path is percent-decoded once, checked segment by segment,
 * joined into one relative path, resolved once with symlinks followed ({@code toRealPath}) and
 * compared with the real root: {@code ../}, encoded and double-encoded traversal, absolute paths,
 * NUL bytes, backslashes and symlinks leading out all end in 404 or 400. No directory listings,
 * and no hidden files: a name starting with '.' in the request or in the file's real path
 * ({@code .git/config}, {@code .env}, {@code .htpasswd}) is 404, as express.static and serve do by
 * default — the README's first command serves a git checkout. {@code .well-known} (RFC 8615:
 * ACME challenges, security.txt) is the exception.
 * The work per request is linear in the (capped) target length: the old server resolved the
 * path once per segment, and a 300 KB path cost seconds and gigabytes.
 */
final class StaticFiles {
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"), Map.entry("htm", "text/html; charset=utf-8"),
            Map.entry("txt", "text/plain; charset=utf-8"), Map.entry("md", "text/markdown; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"), Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("json", "application/json"), Map.entry("xml", "application/xml"),
            Map.entry("svg", "image/svg+xml"), Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"),
            Map.entry("jpeg", "image/jpeg"), Map.entry("gif", "image/gif"), Map.entry("ico", "image/x-icon"),
            Map.entry("pdf", "application/pdf"), Map.entry("jar", "application/java-archive"),
            Map.entry("java", "text/plain; charset=utf-8"), Map.entry("sh", "text/plain; charset=utf-8"));

    /** A file to send (status 200, with its attributes read once), or the status to answer instead. */
    record Resolution(int status, Path file, BasicFileAttributes attributes) {
        static Resolution of(int status) {
            return new Resolution(status, null, null);
        }
    }

    private final Path configuredRoot;
    private final int maxSegments;
    private volatile Path root;

    StaticFiles(Path root, int maxSegments) throws IOException {
        this.configuredRoot = root;
        this.maxSegments = maxSegments;
        this.root = root.toRealPath();
    }

    /**
     * Reload (SIGHUP): resolves the root again, so a deploy that switches a symlink
     * ({@code current -> releases/42}) takes effect without a restart.
     */
    Path reload() throws IOException {
        root = configuredRoot.toRealPath();
        return root;
    }

    /** Resolves a request-target: origin-form {@code /a/b?q} or absolute-form {@code http://host/a/b?q}. */
    Resolution resolve(String target) {
        String path = target;
        String lower = target.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            int slash = target.indexOf('/', target.indexOf("//") + 2);
            path = slash < 0 ? "/" : target.substring(slash);
        }
        int query = path.indexOf('?');
        String rawPath = query < 0 ? path : path.substring(0, query);
        if (!rawPath.startsWith("/") || rawPath.indexOf('#') >= 0) {
            return Resolution.of(400);
        }
        if (rawPath.chars().filter(c -> c == '/').count() > maxSegments) {
            return Resolution.of(400); // cheap, before decoding
        }
        Optional<String> decoded = percentDecode(rawPath);
        if (decoded.isEmpty()) {
            return Resolution.of(400);
        }
        String p = decoded.get();
        if (p.indexOf('\0') >= 0 || p.indexOf('\\') >= 0) {
            return Resolution.of(400);
        }
        String[] segments = p.split("/", -1);
        if (segments.length - 1 > maxSegments) {
            return Resolution.of(400); // an encoded %2F made more of them
        }
        StringBuilder relative = new StringBuilder(p.length());
        for (String segment : segments) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..") || hidden(segment)) {
                return Resolution.of(404);
            }
            relative.append(relative.isEmpty() ? "" : "/").append(segment);
        }
        Path root = this.root;
        try {
            Path real = root.resolve(relative.toString()).toRealPath(); // once: where the bytes really are
            if (!real.startsWith(root) || hiddenOnTheWay(root.relativize(real))) {
                return Resolution.of(404); // outside, or reached through a link into .git and the like
            }
            BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
            if (a.isDirectory()) {
                real = real.resolve("index.html"); // no listings: index.html or nothing
                a = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            }
            return a.isRegularFile() && Files.isReadable(real) ? new Resolution(200, real, a) : Resolution.of(404);
        } catch (IOException | InvalidPathException e) {
            return Resolution.of(404); // missing, unreadable, or a name the file system refuses
        }
    }

    /** A dot file or directory, which is not served; {@code .well-known} is. */
    private static boolean hidden(String name) {
        return name.startsWith(".") && !name.equals(".well-known");
    }

    private static boolean hiddenOnTheWay(Path relative) {
        for (Path name : relative) {
            if (hidden(name.toString())) {
                return true;
            }
        }
        return false;
    }

    /** Decodes %XX once (no '+' rule: this is a path, not a form); empty when malformed or not UTF-8. */
    static Optional<String> percentDecode(String raw) {
        byte[] out = new byte[raw.length()];
        int n = 0;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int hi = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
                int lo = hi < 0 ? -1 : Character.digit(raw.charAt(i + 2), 16);
                if (lo < 0) {
                    return Optional.empty();
                }
                out[n++] = (byte) (hi * 16 + lo);
                i += 2;
            } else if (c < 0x80) {
                out[n++] = (byte) c;
            } else {
                return Optional.empty(); // the request line admits ASCII only
            }
        }
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(out, 0, n)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    static String contentType(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        return TYPES.getOrDefault(ext, "application/octet-stream");
    }
}
