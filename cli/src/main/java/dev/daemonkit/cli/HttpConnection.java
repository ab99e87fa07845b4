package dev.daemonkit.cli;

import dev.daemonkit.cli.RequestHead.HttpError;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, served on its own virtual thread: read a request head (bounded in size
 * and time), answer it, and repeat while keep-alive allows. The blocking reads and writes never
 * wait forever: each phase has a deadline, and {@link FileServer}'s watchdog ends a read that
 * overran it (shutdownInput: the read sees end-of-stream) or a write (close).
 */
final class HttpConnection implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpConnection.class);
    private static final Logger ACCESS = LoggerFactory.getLogger("access");
    private static final long LINGER_BYTES = 1 << 20;
    private static final Duration LINGER_TIME = Duration.ofSeconds(2);

    /** What the connection waits for; decides what an overrun deadline (or a stop) does. */
    enum Phase {
        /** The first byte of a request: on overrun or stop, close quietly. */
        IDLE,
        /** The rest of a request head: on overrun, answer 408. */
        HEAD,
        /** The client to take response bytes: on overrun, close. */
        SEND,
        /** Discarding what the client still sends after an error answer, before closing. */
        LINGER
    }

    private final SocketChannel channel;
    private final FileServer server;
    private final HttpLimits limits;
    private final ByteBuffer in;
    private final ByteBuffer out;
    private final String remote;
    private volatile Phase phase;
    private volatile long deadline;
    private volatile boolean timedOut;
    /** Whether a response was sent: before that, the connection is new, not idle (see {@link #stopIfIdle}). */
    private volatile boolean answered;

    HttpConnection(SocketChannel channel, FileServer server, ByteBuffer in, ByteBuffer out) throws IOException {
        this.channel = channel;
        this.server = server;
        this.limits = server.limits();
        this.in = in.clear();
        this.out = out.clear();
        this.remote = ((InetSocketAddress) channel.getRemoteAddress()).getAddress().getHostAddress();
        arm(Phase.IDLE, limits.requestTimeout()); // a new connection: its first request is due within the timeout
    }

    @Override
    public void run() {
        try (channel) {
            serve();
        } catch (IOException e) {
            LOG.debug("connection from {} ended: {}", remote, e.toString()); // reset, timed out, stopped
        } finally {
            server.closed(this, in, out);
        }
    }

    private void serve() throws IOException {
        for (int served = 1; ; served++) {
            RequestHead head;
            try {
                head = readHead(served > 1);
            } catch (HttpError e) {
                respond(null, e.status, "", false); // the head is unusable: answer, then close
                linger();
                return;
            }
            if (head == null) {
                return; // closed by the client, or idle too long, or the server stops
            }
            boolean keepAlive = head.keepAlive() && !head.hasBody() && served < limits.maxRequestsPerConnection()
                    && !server.stopping();
            if (!handle(head, keepAlive)) {
                if (head.hasBody()) {
                    linger(); // we never read the body: let it drain rather than reset the connection
                }
                return;
            }
            answered = true;
            arm(Phase.IDLE, limits.idleTimeout());
            if (server.stopping()) {
                return; // stop() may have looked at this connection before it became idle
            }
        }
    }

    /** Reads one head; null when the connection ends without one (nothing, or part of one, received). */
    private RequestHead readHead(boolean keptAlive) throws IOException, HttpError {
        byte[] b = in.array();
        boolean lineSeen = false;
        for (int scanned = 0; ; ) {
            int len = skipLeadingEmptyLines();
            if (len > 0 && phase == Phase.IDLE) {
                // The first request is due within the timeout of the accept; a later one within
                // the timeout of its own first byte. Trickling never moves the deadline.
                if (keptAlive) {
                    arm(Phase.HEAD, limits.requestTimeout());
                } else {
                    phase = Phase.HEAD;
                }
            }
            int end = RequestHead.headEnd(b, scanned, len);
            if (end >= 0) {
                RequestHead head = RequestHead.parse(b, end, limits);
                System.arraycopy(b, end, b, 0, len - end); // keep a pipelined next request
                in.position(len - end);
                return head;
            }
            for (int i = scanned; i < len && !lineSeen; i++) {
                lineSeen = b[i] == '\n';
            }
            if (!lineSeen && len > limits.maxRequestLine()) {
                throw new HttpError(414, "request line longer than " + limits.maxRequestLine());
            }
            if (len == b.length) {
                throw new HttpError(431, "request head longer than " + b.length);
            }
            scanned = Math.max(0, len - 2);
            if (channel.read(in) < 0) {
                if (timedOut && phase == Phase.HEAD) {
                    throw new HttpError(408, "no complete request head within " + limits.requestTimeout());
                }
                return null;
            }
        }
    }

    /** Drops CR/LF before a request line (RFC 9112 §2.2); returns how many bytes are buffered. */
    private int skipLeadingEmptyLines() {
        byte[] b = in.array();
        int len = in.position();
        int skip = 0;
        while (skip < len && (b[skip] == '\r' || b[skip] == '\n')) {
            skip++;
        }
        if (skip > 0) {
            System.arraycopy(b, skip, b, 0, len - skip);
            in.position(len - skip);
        }
        return len - skip;
    }

    /** Answers one parsed request; returns whether the connection stays open for the next one. */
    private boolean handle(RequestHead head, boolean keepAlive) throws IOException {
        boolean isHead = head.method().equals("HEAD");
        if (!isHead && !head.method().equals("GET")) {
            return respond(head, 405, "Allow: GET, HEAD\r\n", keepAlive);
        }
        StaticFiles.Resolution r = server.files().resolve(head.target());
        if (r.status() != 200) {
            return respond(head, r.status(), "", keepAlive);
        }
        Instant modified = r.attributes().lastModifiedTime().toInstant().truncatedTo(ChronoUnit.SECONDS);
        String lastModified = "Last-Modified: " + HttpDates.format(modified) + "\r\n";
        if (notModifiedSince(head.ifModifiedSince(), modified)) {
            return respond(head, 304, lastModified, keepAlive);
        }
        ConfirmedFile opened = ConfirmedFile.open(r.file());
        if (opened == null) {
            return respond(head, 404, "", keepAlive); // changed since it was resolved
        }
        try (ConfirmedFile file = opened) {
            long size = file.size();
            beginResponse(200, keepAlive, head.http11(), lastModified + "Content-Type: "
                    + StaticFiles.contentType(r.file()) + "\r\n", size);
            long sent = 0;
            try {
                // The first chunk shares the packet with the headers; the file's size was promised,
                // so a file that shrinks meanwhile ends the connection, one that grows is cut.
                while (!isHead && sent < size) {
                    out.limit((int) Math.min(out.capacity(), out.position() + (size - sent)));
                    int n = file.read(out);
                    if (n < 0) {
                        break;
                    }
                    sent += n;
                    if (!out.hasRemaining()) {
                        flush();
                    }
                }
                flush();
            } finally {
                log(head, 200, sent); // also when the client went away or stopped reading: what was read
            }
            return keepAlive && (isHead || sent == size);
        }
    }

    private static boolean notModifiedSince(String ifModifiedSince, Instant modified) {
        if (ifModifiedSince == null) {
            return false;
        }
        try {
            Instant since = ZonedDateTime.parse(ifModifiedSince, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            return !modified.isAfter(since);
        } catch (DateTimeParseException e) {
            return false; // an unparsable date is ignored (RFC 9110 §13.1.3)
        }
    }

    /** A response with a short text body ("not found\n"); head is null when the request was unusable. */
    private boolean respond(RequestHead head, int status, String extraHeaders, boolean keepAlive) throws IOException {
        byte[] body = status == 304 ? new byte[0]
                : (HttpDates.reason(status).toLowerCase(Locale.ROOT) + "\n").getBytes(StandardCharsets.UTF_8);
        boolean withBody = head == null || !head.method().equals("HEAD");
        beginResponse(status, keepAlive, head == null || head.http11(),
                extraHeaders + (status == 304 ? "" : "Content-Type: text/plain; charset=utf-8\r\n"),
                status == 304 ? -1 : body.length);
        if (withBody) {
            out.put(body);
        }
        flush();
        log(head, status, withBody ? body.length : 0);
        return keepAlive;
    }

    /** Puts the status line and headers into the output buffer (sent with the first body bytes). */
    private void beginResponse(int status, boolean keepAlive, boolean http11, String headers, long contentLength) {
        StringBuilder s = new StringBuilder(256).append("HTTP/1.1 ").append(status).append(' ')
                .append(HttpDates.reason(status)).append("\r\nDate: ").append(HttpDates.now())
                .append("\r\nServer: daemonkit\r\n").append(headers);
        if (contentLength >= 0) {
            s.append("Content-Length: ").append(contentLength).append("\r\n");
        }
        if (!keepAlive) {
            s.append("Connection: close\r\n");
        } else if (!http11) {
            s.append("Connection: keep-alive\r\n");
        }
        out.clear();
        out.put(s.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Writes the output buffer out; each write must make progress within the send timeout. */
    private void flush() throws IOException {
        out.flip();
        while (out.hasRemaining()) {
            arm(Phase.SEND, limits.sendTimeout());
            channel.write(out);
        }
        out.clear();
    }

    /**
     * After an error answer the client may still be sending (the rest of a 300 KB request line, a
     * body): closing with unread data would reset the connection and could destroy the answer
     * before the client reads it. So: send FIN, discard input for a bounded time and amount, close.
     */
    private void linger() {
        try {
            channel.shutdownOutput();
            arm(Phase.LINGER, LINGER_TIME.compareTo(limits.requestTimeout()) < 0 ? LINGER_TIME : limits.requestTimeout());
            long drained = 0;
            while (drained < LINGER_BYTES) {
                in.clear();
                int n = channel.read(in);
                if (n < 0) {
                    break;
                }
                drained += n;
            }
        } catch (IOException e) {
            LOG.debug("linger on {}: {}", remote, e.toString());
        }
    }

    private void log(RequestHead head, int status, long length) {
        if (head == null) {
            ACCESS.info("{} \"-\" {} {}", remote, status, length);
        } else {
            String target = head.target().length() <= 200 ? head.target() : head.target().substring(0, 200) + "...";
            ACCESS.info("{} \"{} {} {}\" {} {}", remote, head.method(), target, head.version(), status, length);
        }
    }

    private void arm(Phase p, Duration timeout) {
        deadline = System.nanoTime() + timeout.toNanos();
        phase = p;
    }

    /** Called by the watchdog: ends a wait that overran its deadline. */
    void expireIfDue(long now) {
        // arm() writes the deadline before the phase: read them the other way round, so that a
        // new phase is never judged by the deadline of the phase before it.
        Phase p = phase;
        if (now - deadline < 0) {
            return;
        }
        if (p == Phase.SEND) {
            abort();
        } else {
            timedOut = true;
            shutdownInput();
        }
    }

    /** Called by stop(): a connection waiting for a request ends now, one mid-request may finish. */
    void stopIfIdle() {
        // A connection accepted just before the listener closed has not sent its request yet (it
        // may be on its way): it is served, not reset. Under socket activation the next program
        // takes over the listener, and a restart then loses no connection.
        if (phase == Phase.IDLE && answered) {
            shutdownInput();
        }
    }

    /** Ends the connection at once (the grace is over, or the client takes no response bytes). */
    void abort() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("close {}: {}", remote, e.toString());
        }
    }

    private void shutdownInput() {
        try {
            channel.shutdownInput(); // the blocked read returns end-of-stream
        } catch (IOException e) {
            abort(); // already closed, or not connected any more
        }
    }
}
