package dev.daemonkit.cli;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A parsed HTTP/1.x request head (request line and the few header fields a static file server
 * needs), parsed strictly: anything ambiguous is a 400, never a guess. Lines end in CRLF; a bare
 * LF is accepted (RFC 9112 §2.2 allows it), a bare CR is not. No obsolete line folding, no
 * whitespace before a header's colon, one Host on HTTP/1.1.
 *
 * @param target            the raw request-target as sent (origin-form or absolute-form)
 * @param http11            HTTP/1.1 (else HTTP/1.0)
 * @param keepAlive         whether the client wants the connection kept open afterwards
 * @param hasBody           Content-Length above 0 or any Transfer-Encoding: this server reads no
 *                          bodies, so the connection is closed after the response
 * @param ifModifiedSince   the If-Modified-Since value, or null
 */
record RequestHead(String method, String target, String version, boolean http11, boolean keepAlive, boolean hasBody,
        String ifModifiedSince) {

    /** An HTTP status to answer with instead of serving; thrown often under abuse, so without a stack trace. */
    static final class HttpError extends Exception {
        final int status;

        HttpError(int status, String why) {
            super(why, null, false, false);
            this.status = status;
        }
    }

    /**
     * Parses {@code b[0..end)}, which holds one complete head including its blank line.
     *
     * @throws HttpError 400 malformed, 414 request-target too long, 431 too many fields, 505 version
     */
    static RequestHead parse(byte[] b, int end, HttpLimits limits) throws HttpError {
        int lineEnd = lineEnd(b, 0, end);
        String line = line(b, 0, lineEnd);
        int sp1 = line.indexOf(' ');
        int sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
        if (sp1 <= 0 || sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0) {
            throw new HttpError(400, "request line is not METHOD SP TARGET SP VERSION");
        }
        String method = line.substring(0, sp1);
        String target = line.substring(sp1 + 1, sp2);
        String version = line.substring(sp2 + 1);
        if (!isToken(method, 0, method.length())) {
            throw new HttpError(400, "bad method");
        }
        if (target.length() > limits.maxTargetLength()) {
            throw new HttpError(414, "request-target longer than " + limits.maxTargetLength());
        }
        if (target.isEmpty() || !target.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new HttpError(400, "request-target empty or not visible ASCII");
        }
        boolean http11 = version.equals("HTTP/1.1");
        if (!http11 && !version.equals("HTTP/1.0")) {
            throw version.matches("HTTP/[0-9]\\.[0-9]") ? new HttpError(505, "only HTTP/1.0 and 1.1")
                    : new HttpError(400, "bad protocol version");
        }

        int hosts = 0;
        int fields = 0;
        boolean close = false;
        boolean keepAlive = false;
        boolean hasBody = false;
        String contentLength = null;
        String ifModifiedSince = null;
        for (int start = next(b, lineEnd); ; ) {
            int e = lineEnd(b, start, end);
            if (e == start) {
                break; // the blank line
            }
            if (++fields > limits.maxHeaders()) {
                throw new HttpError(431, "more than " + limits.maxHeaders() + " header fields");
            }
            String field = line(b, start, e);
            int colon = field.indexOf(':');
            if (colon <= 0 || !isToken(field, 0, colon)) {
                throw new HttpError(400, "bad header field (folded, or no name before ':')");
            }
            String name = field.substring(0, colon).toLowerCase(Locale.ROOT);
            String value = field.substring(colon + 1).strip();
            switch (name) {
                case "host" -> hosts++;
                case "connection" -> {
                    for (String token : value.toLowerCase(Locale.ROOT).split(",")) {
                        close |= token.strip().equals("close");
                        keepAlive |= token.strip().equals("keep-alive");
                    }
                }
                case "content-length" -> {
                    if (!value.matches("[0-9]{1,18}") || contentLength != null && !contentLength.equals(value)) {
                        throw new HttpError(400, "bad or conflicting Content-Length");
                    }
                    contentLength = value;
                    hasBody |= Long.parseLong(value) > 0;
                }
                case "transfer-encoding" -> hasBody = true;
                case "if-modified-since" -> ifModifiedSince = value;
                default -> {
                }
            }
            start = next(b, e);
        }
        if (http11 && hosts != 1) {
            throw new HttpError(400, "HTTP/1.1 needs exactly one Host");
        }
        return new RequestHead(method, target, version, http11, http11 ? !close : keepAlive && !close, hasBody,
                ifModifiedSince);
    }

    /**
     * Where the head in {@code b[0..len)} ends: the index just after its blank line, or -1 while
     * incomplete. Scanning restarts at {@code from} so that a trickled head is not rescanned.
     */
    static int headEnd(byte[] b, int from, int len) {
        for (int i = Math.max(from, 0); i < len; i++) {
            if (b[i] == '\n') {
                if (i + 1 < len && b[i + 1] == '\n') {
                    return i + 2;
                }
                if (i + 2 < len && b[i + 1] == '\r' && b[i + 2] == '\n') {
                    return i + 3;
                }
            }
        }
        return -1;
    }

    /** The end of the line starting at {@code start}: the index of its CR (of CRLF) or LF. */
    private static int lineEnd(byte[] b, int start, int end) throws HttpError {
        for (int i = start; i < end; i++) {
            if (b[i] == '\n') {
                return i > start && b[i - 1] == '\r' ? i - 1 : i;
            }
            if (b[i] == '\r' && (i + 1 >= end || b[i + 1] != '\n')) {
                throw new HttpError(400, "bare CR");
            }
            int c = b[i] & 0xff; // bytes 0x80-0xff (obs-text) are allowed in values
            if (c == 0x7f || c < 0x20 && c != '\t' && c != '\r') {
                throw new HttpError(400, "control character in the head");
            }
        }
        throw new HttpError(400, "unterminated line");
    }

    private static int next(byte[] b, int lineEnd) {
        return b[lineEnd] == '\r' ? lineEnd + 2 : lineEnd + 1;
    }

    private static String line(byte[] b, int start, int end) {
        return new String(b, start, end - start, StandardCharsets.ISO_8859_1);
    }

    /** RFC 9110 token characters (method names, header names). */
    private static boolean isToken(String s, int from, int to) {
        if (from >= to) {
            return false;
        }
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            boolean ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
