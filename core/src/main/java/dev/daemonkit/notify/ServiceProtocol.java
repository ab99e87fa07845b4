package dev.daemonkit.notify;

import dev.daemonkit.process.ListenAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How a program talks to whoever starts it, systemd style: readiness by sd_notify
 * ({@code notifyReady}, Type=notify) or by a newline on a descriptor ({@code readyFd}, s6's
 * notification-fd), the time it has to get ready ({@code startTimeout}), a watchdog it must keep
 * feeding ({@code watchdog}, WatchdogSec=), and listening sockets handed over by socket activation
 * ({@code listen}, .socket units). The defaults: none of it, 10 s to get ready.
 */
public record ServiceProtocol(boolean notifyReady, int readyFd, Duration startTimeout, Duration watchdog,
        List<ListenAddress> listen) {
    /** Nothing of the protocol: readiness by staying alive, no watchdog, no sockets. */
    public static final ServiceProtocol NONE = new ServiceProtocol(false, -1, Duration.ofSeconds(10), Duration.ZERO, List.of());

    public ServiceProtocol {
        Objects.requireNonNull(startTimeout, "startTimeout");
        Objects.requireNonNull(watchdog, "watchdog");
        if (readyFd != -1 && readyFd < 3) {
            throw new IllegalArgumentException("the ready fd must be 3 or more (0-2 are stdin, stdout, stderr): " + readyFd);
        }
        if (startTimeout.isNegative() || startTimeout.isZero()) {
            throw new IllegalArgumentException("the start timeout must be longer than 0");
        }
        if (watchdog.isNegative()) {
            throw new IllegalArgumentException("the watchdog interval must not be negative");
        }
        listen = List.copyOf(listen);
        int lastListenFd = 2 + listen.size();
        if (readyFd >= 3 && readyFd <= lastListenFd) {
            throw new IllegalArgumentException("ready fd " + readyFd + " is taken by the listening sockets (fds 3.."
                    + lastListenFd + ")");
        }
    }

    /** Whether only an explicit readiness report counts as started (notify or a ready fd). */
    public boolean waitsForReady() {
        return notifyReady || readyFd >= 0;
    }

    /** Whether a watchdog is set (a zero interval: none). */
    public boolean hasWatchdog() {
        return !watchdog.isZero();
    }

    public ServiceProtocol withNotify(boolean on) {
        return new ServiceProtocol(on, readyFd, startTimeout, watchdog, listen);
    }

    public ServiceProtocol withReadyFd(int fd) {
        return new ServiceProtocol(notifyReady, fd, startTimeout, watchdog, listen);
    }

    public ServiceProtocol withStartTimeout(Duration d) {
        return new ServiceProtocol(notifyReady, readyFd, d, watchdog, listen);
    }

    public ServiceProtocol withWatchdog(Duration d) {
        return new ServiceProtocol(notifyReady, readyFd, startTimeout, d, listen);
    }

    /** One more listening socket (names may repeat: a program asks for every socket of a name). */
    public ServiceProtocol withListen(ListenAddress a) {
        List<ListenAddress> more = new ArrayList<>(listen);
        more.add(a);
        return new ServiceProtocol(notifyReady, readyFd, startTimeout, watchdog, more);
    }
}
