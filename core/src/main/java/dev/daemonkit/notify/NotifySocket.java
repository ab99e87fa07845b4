package dev.daemonkit.notify;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Sockets;
import dev.daemonkit.process.ProcessTable;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving end of sd_notify for one program: a unix datagram socket in the abstract
 * namespace ({@code NOTIFY_SOCKET=@daemonkit/notify/…}, a random name), with SO_PASSCRED so that
 * every datagram carries its sender's pid as the kernel saw it.
 *
 * <p>Why abstract, not a path in a private 0700 directory: a program that drops to another user
 * (start --user) can still reach it, and nothing is left on disk when daemonkit is killed. Anyone
 * in the network namespace can send to an abstract name, so the sender is what counts: a datagram
 * is accepted only from the program's main process or a descendant of it ({@link #processTreeOf}).
 * That is between systemd's NotifyAccess=main and =all: systemd-notify sends from its own pid, a
 * child of the program (as root it even claims the parent's pid), which =main would refuse.
 */
public final class NotifySocket implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NotifySocket.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Fd fd;
    private final String name;

    /** A datagram from an accepted sender. */
    public record Received(NotifyMessage message, int senderPid, int senderUid) {
    }

    private NotifySocket(Fd fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    /** Binds a new socket under a random abstract name. */
    public static NotifySocket open() throws PosixException {
        for (int attempt = 0; ; attempt++) {
            byte[] r = new byte[8];
            RANDOM.nextBytes(r);
            String name = "@daemonkit/notify/" + Posix.getpid() + "/" + HexFormat.of().formatHex(r);
            Fd fd = Sockets.unixDatagram();
            try {
                Sockets.bindUnix(fd, name);
                Sockets.passCredentials(fd, true);
                return new NotifySocket(fd, name);
            } catch (PosixException e) {
                fd.close();
                if (e.errno() != Errno.EADDRINUSE || attempt >= 3) {
                    throw e;
                }
            }
        }
    }

    /** The value for the program's {@code NOTIFY_SOCKET}. */
    public String name() {
        return name;
    }

    /**
     * A predicate accepting {@code mainPid} and its descendants — the trust rule for senders and
     * for a MAINPID a program names.
     */
    public static IntPredicate processTreeOf(int mainPid) {
        return pid -> pid == mainPid || ProcessTable.isDescendant(pid, mainPid);
    }

    /**
     * Waits up to {@code wait} for a datagram from a sender {@code accepting} allows; others
     * (strangers, oversized or empty datagrams) are dropped and logged at debug. Empty when none
     * came in time.
     */
    public Optional<Received> receive(Duration wait, IntPredicate accepting) throws PosixException {
        long end = System.nanoTime() + wait.toNanos();
        while (true) {
            Optional<Sockets.Datagram> d = Sockets.receive(fd, NotifyMessage.MAX_BYTES, true);
            if (d.isEmpty()) {
                long left = end - System.nanoTime();
                if (left <= 0 || !Posix.pollReadable(fd, Duration.ofNanos(left))) {
                    return Optional.empty();
                }
                continue;
            }
            Sockets.Datagram g = d.get();
            if (g.truncated() || g.data().length == 0) {
                LOG.debug("notify socket: dropped a datagram of pid {} (empty or over {} bytes)", g.senderPid(),
                        NotifyMessage.MAX_BYTES);
            } else if (g.senderPid() <= 0 || !accepting.test(g.senderPid())) {
                LOG.debug("notify socket: ignored a datagram of pid {}: not the program or its descendant", g.senderPid());
            } else {
                return Optional.of(new Received(NotifyMessage.parse(g.data()), g.senderPid(), g.senderUid()));
            }
        }
    }

    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return "NotifySocket[" + name + "]";
    }
}
