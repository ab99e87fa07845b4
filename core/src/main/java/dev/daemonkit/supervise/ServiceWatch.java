package dev.daemonkit.supervise;

import dev.daemonkit.notify.NotifyMessage;
import dev.daemonkit.notify.NotifySocket;
import dev.daemonkit.notify.ReadyFd;
import dev.daemonkit.notify.ServiceProtocol;
import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.process.ActivationSockets;
import dev.daemonkit.process.ProcessTable;
import dev.daemonkit.process.Spawn;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The systemd side of one program copy ({@link ServiceProtocol}): its NOTIFY_SOCKET (kept across
 * runs, read by a thread of its own), its ready fd, the start timeout and the watchdog, and the
 * activated sockets it is handed. What arrives is posted to the supervisor's event thread with the
 * run (generation) it belongs to; readiness and failures go to the {@link ManagedProcess}.
 *
 * <p>Trust: a datagram counts only if the kernel says it came from the spawned process or a
 * descendant of it (or of the MAINPID it named); a MAINPID is believed only for such a process,
 * which is then held by a pidfd so that a recycled pid is never signalled.
 */
final class ServiceWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
    private static final Duration POLL = Duration.ofMillis(250);

    private final Supervisor sup;
    private final ManagedProcess owner;
    private final ServiceProtocol protocol;
    private final ActivationSockets sockets;
    private NotifySocket notify;
    private Thread reader;
    private volatile boolean closed;
    private volatile long generation = -1;
    private volatile int childPid = -1;
    private volatile int mainPid = -1;
    /** Between prepare and spawned: a datagram may come before we know the pid it must come from. */
    private volatile boolean spawning;
    private Fd mainPidfd;
    private ReadyFd readyFd;
    private String status;
    private String phase;
    private Instant startDeadline;
    private ScheduledFuture<?> startTimer;
    private ScheduledFuture<?> watchdogTimer;

    ServiceWatch(Supervisor sup, ManagedProcess owner, ServiceProtocol protocol, ActivationSockets sockets) {
        this.sup = sup;
        this.owner = owner;
        this.protocol = protocol;
        this.sockets = sockets;
    }

    /** Adds what the next run needs to its spawn: NOTIFY_SOCKET, WATCHDOG_*, LISTEN_*, the ready fd. */
    void prepare(Spawn s, long g) throws PosixException {
        endRun();
        spawning = true;
        generation = g;
        status = null;
        phase = null;
        if (protocol.notifyReady() || protocol.hasWatchdog()) {
            openNotifySocket();
            s.env("NOTIFY_SOCKET", notify.name());
        }
        if (protocol.hasWatchdog()) {
            s.env("WATCHDOG_USEC", Long.toString(protocol.watchdog().toNanos() / 1000)).ownPidVariables("WATCHDOG_PID");
        }
        if (sockets != null) {
            sockets.passTo(s);
        }
        if (protocol.readyFd() >= 0) {
            readyFd = ReadyFd.open(protocol.readyFd());
            readyFd.passTo(s);
        }
    }

    /** The run is spawned: start timeout, watchdog (when readiness is not awaited), ready-fd reader. */
    void spawned(long g, int pid) {
        childPid = pid;
        spawning = false;
        if (readyFd != null) {
            ReadyFd r = readyFd;
            r.spawned();
            Thread.ofPlatform().daemon().name("ready-fd-" + owner.name).start(() -> readReadyFd(g, r));
        }
        if (protocol.waitsForReady()) {
            startDeadline = Instant.now().plus(protocol.startTimeout());
            scheduleStartTimeout(g);
        } else {
            armWatchdog(g);
        }
    }

    /** The run is over (exited, or could not be spawned). */
    void endRun() {
        spawning = false;
        childPid = -1;
        mainPid = -1;
        cancel(startTimer);
        cancel(watchdogTimer);
        startTimer = null;
        watchdogTimer = null;
        if (mainPidfd != null) {
            mainPidfd.close();
            mainPidfd = null;
        }
        if (readyFd != null) {
            readyFd.close();
            readyFd = null;
        }
    }

    /** Whether only an explicit readiness report makes this program RUNNING. */
    boolean waitsForReady() {
        return protocol.waitsForReady();
    }

    /** Sends {@code s} to the MAINPID the program named, if it named one other than the spawned process. */
    void signalMainPid(Signal s) {
        if (mainPidfd != null) {
            try {
                Posix.pidfdSendSignal(mainPidfd, s);
            } catch (PosixException e) {
                LOG.debug("{}: {} to main pid {} not delivered: {}", owner.name, s, mainPid, e.getMessage());
            }
        }
    }

    /** For status: STATUS=, a reload or stop in progress, the main pid; empty when there is nothing. */
    Optional<String> describe() {
        StringBuilder sb = new StringBuilder();
        if (phase != null) {
            sb.append(phase);
        }
        if (mainPid > 0 && mainPid != childPid) {
            sb.append(sb.isEmpty() ? "" : "; ").append("main pid ").append(mainPid);
        }
        if (status != null) {
            sb.append(sb.isEmpty() ? "" : "; ").append("status: ").append(status);
        }
        return sb.isEmpty() ? Optional.empty() : Optional.of(sb.toString());
    }

    private void openNotifySocket() throws PosixException {
        if (notify != null) {
            return;
        }
        notify = NotifySocket.open();
        reader = Thread.ofPlatform().daemon().name("notify-" + owner.name).start(this::readNotifications);
    }

    /** Runs on its own thread for the program's life: datagrams of the current run go to the event thread. */
    private void readNotifications() {
        while (!closed) {
            try {
                Optional<NotifySocket.Received> r = notify.receive(POLL, this::fromOurProcesses);
                // The run the sender was checked against: a new one starts only after the old process is gone.
                long g = generation;
                r.ifPresent(m -> sup.post(() -> handle(g, m)));
            } catch (PosixException e) {
                if (!closed) {
                    LOG.warn("{}: notify socket: {}", owner.name, e.getMessage());
                }
                return;
            }
        }
    }

    private boolean fromOurProcesses(int pid) {
        // The program may notify before the event thread has recorded its pid: wait for that
        // (here, while the sender still exists to be checked), not for more than a second.
        long end = System.nanoTime() + 1_000_000_000L;
        while (spawning && System.nanoTime() < end) {
            Thread.onSpinWait();
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
        int child = childPid;
        int main = mainPid;
        return child > 0 && (NotifySocket.processTreeOf(child).test(pid) || main > 0 && NotifySocket.processTreeOf(main).test(pid));
    }

    private void handle(long g, NotifySocket.Received r) {
        if (g != generation || childPid < 0) {
            return; // a late datagram of an earlier run
        }
        NotifyMessage m = r.message();
        LOG.debug("{}: notify from pid {}: {}", owner.name, r.senderPid(), m);
        m.mainPid().ifPresent(this::mainPid);
        m.status().ifPresent(s -> status = printable(s));
        m.extendTimeout().ifPresent(d -> {
            if (startTimer != null && Instant.now().plus(d).isAfter(startDeadline)) {
                startDeadline = Instant.now().plus(d);
                LOG.info("{}: start timeout extended by {} ms (EXTEND_TIMEOUT_USEC)", owner.name, d.toMillis());
            }
        });
        if (m.reloading()) {
            phase = "reloading";
            LOG.info("{}: reloading (RELOADING=1)", owner.name);
        }
        if (m.stopping()) {
            phase = "stopping";
            cancel(watchdogTimer); // shutting down on its own: no more pings to expect
            watchdogTimer = null;
            LOG.info("{}: stopping (STOPPING=1)", owner.name);
        }
        if (m.ready()) {
            ready(g);
        }
        if (m.watchdogPing() && watchdogTimer != null) {
            armWatchdog(g);
        }
        if (m.watchdogTrigger()) {
            owner.serviceFailure(g, "watchdog triggered by the program (WATCHDOG=trigger)");
        }
    }

    private void ready(long g) {
        if ("reloading".equals(phase)) {
            phase = null;
            LOG.info("{}: reload finished (READY=1)", owner.name);
        }
        if (startTimer != null) {
            cancel(startTimer);
            startTimer = null;
            armWatchdog(g);
            owner.readyReported(g, "reported ready");
        }
    }

    /** MAINPID=: believed only for the spawned process or a live descendant of it. */
    private void mainPid(int pid) {
        if (pid == mainPid) {
            return;
        }
        boolean ours = pid == childPid || ProcessTable.isDescendant(pid, childPid)
                && ProcessTable.isLive(pid);
        if (!ours) {
            LOG.warn("{}: ignored MAINPID={}: not the program or a live descendant of it", owner.name, pid);
            return;
        }
        try {
            Fd fd = pid == childPid ? null : Posix.openPidfd(pid);
            if (mainPidfd != null) {
                mainPidfd.close();
            }
            mainPidfd = fd;
            mainPid = pid;
            if (pid != childPid) {
                LOG.info("{}: main pid is {} (MAINPID)", owner.name, pid);
            }
        } catch (PosixException e) {
            LOG.warn("{}: MAINPID={} is gone: {}", owner.name, pid, e.getMessage());
        }
    }

    private void scheduleStartTimeout(long g) {
        Duration left = Duration.between(Instant.now(), startDeadline);
        startTimer = sup.schedule(left.isNegative() ? Duration.ZERO : left, () -> {
            if (g != generation || startTimer == null) {
                return;
            }
            if (Instant.now().isBefore(startDeadline)) {
                scheduleStartTimeout(g); // extended meanwhile
                return;
            }
            startTimer = null;
            owner.serviceFailure(g, "no " + (protocol.notifyReady() ? "READY=1" : "newline on fd " + protocol.readyFd())
                    + " within the start timeout of " + OptionValues.format(protocol.startTimeout()));
        });
    }

    private void armWatchdog(long g) {
        if (!protocol.hasWatchdog()) {
            return;
        }
        cancel(watchdogTimer);
        watchdogTimer = sup.schedule(protocol.watchdog(), () -> {
            if (g == generation && watchdogTimer != null) {
                watchdogTimer = null;
                owner.serviceFailure(g, "watchdog timeout: no WATCHDOG=1 for " + OptionValues.format(protocol.watchdog()));
            }
        });
    }

    private void readReadyFd(long g, ReadyFd r) {
        try {
            ReadyFd.State st = ReadyFd.State.WAITING;
            while (st == ReadyFd.State.WAITING && g == generation && !closed) {
                st = r.poll(POLL);
            }
            if (st == ReadyFd.State.READY) {
                sup.post(() -> {
                    if (g == generation) {
                        ready(g);
                    }
                });
            } else if (st == ReadyFd.State.CLOSED) {
                LOG.warn("{}: fd {} was closed without a newline; it can no longer report ready", owner.name,
                        protocol.readyFd());
            }
        } catch (PosixException e) {
            LOG.debug("{}: ready fd: {}", owner.name, e.getMessage());
        }
    }

    private static void cancel(ScheduledFuture<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }

    /** Control characters out, at most 200 characters: the program chose this text. */
    static String printable(String s) {
        String t = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        StringBuilder sb = new StringBuilder(t.length());
        t.codePoints().forEach(c -> sb.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return sb.toString();
    }

    @Override
    public void close() {
        closed = true;
        if (reader != null) {
            try {
                reader.join(Duration.ofSeconds(2)); // before the socket closes: its fd number must not be reused under it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (notify != null) {
            notify.close();
        }
        endRun();
    }
}
