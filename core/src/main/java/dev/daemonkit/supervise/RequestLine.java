package dev.daemonkit.supervise;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;

/** Reads one request line of bounded length from a control connection. */
final class RequestLine {
    private RequestLine() {
    }

    /**
     * The bytes up to the first newline (or end of stream) as UTF-8; null when the client sent
     * nothing.
     *
     * @throws IOException when the line is longer than {@code max} bytes
     */
    static String read(ReadableByteChannel ch, int max) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(max + 1);
        while (buf.hasRemaining()) {
            int n = ch.read(buf);
            if (n < 0) {
                break;
            }
            for (int i = buf.position() - n; i < buf.position(); i++) {
                if (buf.get(i) == '\n') {
                    return new String(buf.array(), 0, i, StandardCharsets.UTF_8);
                }
            }
        }
        if (buf.position() > max) {
            throw new IOException("control request longer than " + max + " bytes");
        }
        return buf.position() == 0 ? null : new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
    }
}
