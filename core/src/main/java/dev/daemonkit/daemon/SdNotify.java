package dev.daemonkit.daemon;

import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Sockets;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * systemd's readiness protocol without libsystemd: one AF_UNIX datagram of {@code KEY=VALUE}
 * lines to the socket named by {@code $NOTIFY_SOCKET} (a path, or {@code @name} for the abstract
 * namespace). The JDK has no datagram unix sockets, so this goes through libc.
 *
 * <pre>{@code
 * SdNotify.send("READY=1\nSTATUS=listening on 8080\nMAINPID=" + Posix.getpid());
 * }</pre>
 */
public final class SdNotify {
    private SdNotify() {
    }

    /** The socket systemd asked for, if any. */
    public static Optional<String> socket() {
        String s = System.getenv("NOTIFY_SOCKET");
        return s == null || s.isEmpty() ? Optional.empty() : Optional.of(s);
    }

    /**
     * Sends a message if {@code NOTIFY_SOCKET} is set.
     *
     * @return false when there is no socket to notify (not run by systemd Type=notify)
     */
    public static boolean send(String message) throws PosixException {
        Optional<String> target = socket();
        if (target.isEmpty()) {
            return false;
        }
        sendTo(target.get(), message);
        return true;
    }

    /** Sends one datagram to a notify socket given as a path or {@code @abstract-name}. */
    public static void sendTo(String socketName, String message) throws PosixException {
        try (Fd fd = Sockets.unixDatagram()) {
            Sockets.sendTo(fd, socketName, message.getBytes(StandardCharsets.UTF_8));
        }
    }
}
