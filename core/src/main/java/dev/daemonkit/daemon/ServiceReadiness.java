package dev.daemonkit.daemon;

import dev.daemonkit.notify.NotifyMessage;
import dev.daemonkit.notify.NotifySocket;
import dev.daemonkit.notify.ReadyFd;
import dev.daemonkit.notify.ServiceProtocol;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.process.ProcessTable;
import dev.daemonkit.process.Spawn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Readiness of a program that does not speak daemonkit's pipe protocol, as {@code start} waits
 * for it: sd_notify on a NOTIFY_SOCKET of its own ({@code --notify}) or a newline on fd N
 * ({@code --ready-fd N}). Lives only while the launcher waits: once the program is up the
 * launcher exits and the socket with it, so later notifications (STATUS=, WATCHDOG=1) have no
 * reader — that is what {@code supervise} is for. Datagrams count only from descendants of the
 * launcher (the program and whatever it started, orphans included: the launcher is their
 * subreaper while it waits).
 */
final class ServiceReadiness implements AutoCloseable {
    /** What the program said. */
    sealed interface Event {
        record Ready(String how) implements Event {
        }

        record MainPid(int pid) implements Event {
        }

        record Extend(Duration more) implements Event {
        }

        record Failed(String reason) implements Event {
        }
    }

    private final NotifySocket notify;
    private final ReadyFd readyFd;
    private Optional<String> status = Optional.empty();

    private ServiceReadiness(NotifySocket notify, ReadyFd readyFd) {
        this.notify = notify;
        this.readyFd = readyFd;
    }

    /** The receivers {@code p} asks for; null when it asks for none. */
    static ServiceReadiness open(ServiceProtocol p) throws PosixException {
        if (!p.waitsForReady()) {
            return null;
        }
        NotifySocket n = p.notifyReady() ? NotifySocket.open() : null;
        try {
            return new ServiceReadiness(n, p.readyFd() >= 0 ? ReadyFd.open(p.readyFd()) : null);
        } catch (PosixException | RuntimeException e) {
            if (n != null) {
                n.close();
            }
            throw e;
        }
    }

    /** NOTIFY_SOCKET and the ready fd for the spawn. */
    Spawn passTo(Spawn s) {
        if (notify != null) {
            s.env("NOTIFY_SOCKET", notify.name());
        }
        return readyFd != null ? readyFd.passTo(s) : s;
    }

    /** Drops our write end of the ready pipe once the program has its own. */
    void spawned() {
        if (readyFd != null) {
            readyFd.spawned();
        }
    }

    /** What came since the last look; never waits. */
    List<Event> poll() throws PosixException {
        List<Event> events = new ArrayList<>();
        if (readyFd != null) {
            switch (readyFd.poll(Duration.ZERO)) {
                case READY -> events.add(new Event.Ready("wrote a newline on fd " + readyFd.childFd()));
                case CLOSED -> events.add(new Event.Failed("closed fd " + readyFd.childFd()
                        + " without writing a newline (--ready-fd: a newline there means ready)"));
                case WAITING -> {
                }
            }
        }
        receiveNotifications(events);
        return events;
    }

    /** Every datagram waiting on the notify socket, as events; never waits. */
    private void receiveNotifications(List<Event> events) throws PosixException {
        if (notify == null) {
            return;
        }
        int self = Posix.getpid();
        Optional<NotifySocket.Received> r;
        while ((r = notify.receive(Duration.ZERO, pid -> ProcessTable.isDescendant(pid, self))).isPresent()) {
            NotifyMessage m = r.get().message();
            m.status().ifPresent(s -> status = Optional.of(s));
            m.mainPid().ifPresent(pid -> events.add(new Event.MainPid(pid)));
            m.extendTimeout().ifPresent(d -> events.add(new Event.Extend(d)));
            if (m.stopping() && !m.ready()) {
                events.add(new Event.Failed("it sent STOPPING=1 before READY=1"));
            }
            if (m.ready()) {
                events.add(new Event.Ready("sent READY=1"));
            }
        }
    }

    /** The last STATUS= the program sent, as it sent it (untrusted text). */
    Optional<String> status() {
        return status;
    }

    /**
     * The last STATUS= of a program whose start failed, datagrams sent just before it died
     * included (they may still be waiting when the death is noticed). Nothing else is taken from
     * them: the start has failed whatever they say.
     */
    Optional<String> finalStatus() {
        try {
            receiveNotifications(new ArrayList<>());
        } catch (PosixException e) {
            // the status as far as it was read
        }
        return status;
    }

    @Override
    public void close() {
        if (notify != null) {
            notify.close();
        }
        if (readyFd != null) {
            readyFd.close();
        }
    }
}
