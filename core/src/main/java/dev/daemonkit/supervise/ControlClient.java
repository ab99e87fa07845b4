package dev.daemonkit.supervise;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import jdk.net.ExtendedSocketOptions;

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
                refuseAStranger(ch, socket);
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

    /**
     * The process that accepted must run as root or as the caller, the only users whose supervisor
     * a request is meant for: checking the socket file's owner before connecting is not enough,
     * since another user who can write its directory can bind their own socket at that path
     * between the check and the connect (when the supervisor is not running). SO_PEERCRED names
     * the user of the process that bound the socket actually reached.
     */
    private static void refuseAStranger(SocketChannel ch, Path socket) throws IOException {
        UserPrincipal peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED).user();
        UserPrincipal me = Files.getOwner(Path.of("/proc/self")); // our effective uid
        if (peer.equals(me)) {
            return;
        }
        // "0" is looked up as a name first, then taken as uid 0 whatever root is called here.
        UserPrincipal root = FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName("0");
        if (!peer.equals(root)) {
            throw new StrangerException("the process answering on " + socket + " runs as " + peer.getName()
                    + ", neither root nor you: the request was not sent (another user's socket at that path would"
                    + " read it and answer what it likes)");
        }
    }

    /** The socket reached belongs to a process of another user: nothing was sent. */
    public static final class StrangerException extends IOException {
        private static final long serialVersionUID = 1L;

        StrangerException(String message) {
            super(message);
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
