package dev.daemonkit.supervise;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/** Sends one request to a supervisor's {@link ControlServer} and returns its reply. */
public final class ControlClient {
    private ControlClient() {
    }

    /** How long {@link #request(Path, String)} waits for the reply. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    /**
     * @throws IOException when no supervisor listens on the socket (ECONNREFUSED, missing file)
     *                     or it did not answer within {@link #DEFAULT_TIMEOUT}
     */
    public static String request(Path socket, String request) throws IOException {
        return request(socket, request, DEFAULT_TIMEOUT);
    }

    /**
     * Sends {@code request} and reads the whole reply, giving up after {@code timeout} (a
     * supervisor that hangs must not hang its callers).
     *
     * @throws IOException when no supervisor listens, or none answered in time
     */
    public static String request(Path socket, String request, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String reply = requestOnce(socket, request, timeout);
            // Busy: other clients hold every slot; each holds it 5 s at most if it says nothing.
            if (!reply.equals(ControlServer.BUSY) || System.nanoTime() > deadline) {
                return reply;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while the supervisor was busy", e);
            }
        }
    }

    private static String requestOnce(Path socket, String request, Duration timeout) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                Deadline d = Deadline.closing(ch, timeout)) {
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
                Channels.newOutputStream(ch).write((request + "\n").getBytes(StandardCharsets.UTF_8));
                ch.shutdownOutput();
                return new String(Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                if (d.expired()) {
                    throw new IOException("no reply within " + timeout.toMillis() + " ms", e);
                }
                throw e;
            }
        }
    }

    /** Whether a supervisor accepts connections on this socket. */
    public static boolean isAlive(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
