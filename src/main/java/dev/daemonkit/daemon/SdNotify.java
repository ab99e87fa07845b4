package dev.daemonkit.daemon;

import dev.daemonkit.internal.libc.Abi;
import dev.daemonkit.internal.libc.Libc;
import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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

    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = Abi.O_CLOEXEC;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int SUN_PATH_MAX = 108;

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
        byte[] name = socketName.getBytes(StandardCharsets.UTF_8);
        if (name.length == 0 || name.length >= SUN_PATH_MAX) {
            throw new IllegalArgumentException("NOTIFY_SOCKET must be 1.." + (SUN_PATH_MAX - 1) + " bytes: " + socketName);
        }
        boolean abstractName = name[0] == '@';
        int fd = Libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        try (Arena a = Arena.ofConfined()) {
            // struct sockaddr_un { sa_family_t sun_family; char sun_path[108]; }
            MemorySegment addr = a.allocate(2 + SUN_PATH_MAX, 2);
            addr.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
            MemorySegment.copy(name, 0, addr, ValueLayout.JAVA_BYTE, 2, name.length);
            int len;
            if (abstractName) {
                addr.set(ValueLayout.JAVA_BYTE, 2, (byte) 0); // '@' stands for the leading NUL
                len = 2 + name.length;                          // no terminator: the length delimits it
            } else {
                len = 2 + name.length + 1;
            }
            byte[] msg = message.getBytes(StandardCharsets.UTF_8);
            MemorySegment buf = a.allocateFrom(ValueLayout.JAVA_BYTE, msg);
            Libc.sendto(fd, buf, msg.length, MSG_NOSIGNAL, addr, len);
        } finally {
            Libc.close(fd);
        }
    }
}
