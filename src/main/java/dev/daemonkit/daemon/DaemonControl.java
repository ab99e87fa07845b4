package dev.daemonkit.daemon;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.process.ProcessInfo;
import dev.daemonkit.process.ProcessTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Status, stop and signalling of a daemon known by its pidfile, the way LSB init scripts do it,
 * without their races: the pidfile's lock says whether the daemon lives (a pid alone can be
 * recycled), and signals go through a pidfd opened while the lock is held, so a recycled pid is
 * never signalled.
 */
public final class DaemonControl {
    private static final Logger LOG = LoggerFactory.getLogger(DaemonControl.class);
    /** How long SIGKILL may take before stop gives up. */
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private DaemonControl() {
    }

    /** A daemon's status, with the LSB exit code {@code daemonkit status} returns for it. */
    public sealed interface Status {
        /** The LSB code: 0 running, 1 dead but pidfile exists, 3 not running, 4 unknown. */
        int lsbCode();

        /** A line for people. */
        String describe();

        /** Running; {@code info} is empty only if /proc could not be read (another user's process). */
        record Running(int pid, Optional<ProcessInfo> info) implements Status {
            public int lsbCode() {
                return 0;
            }

            public String describe() {
                return info.map(i -> "running (pid " + pid + "), up " + human(i.uptime()) + ": " + i.commandText())
                        .orElse("running (pid " + pid + ")");
            }
        }

        /** The pidfile exists but nobody holds its lock: the daemon died without cleaning up. */
        record Dead(Optional<Long> pid) implements Status {
            public int lsbCode() {
                return 1;
            }

            public String describe() {
                return "dead but pidfile exists" + pid.map(p -> " (pid " + p + " is gone)").orElse("");
            }
        }

        /** No pidfile. */
        record NotRunning() implements Status {
            public int lsbCode() {
                return 3;
            }

            public String describe() {
                return "not running";
            }
        }

        /** Cannot tell: unreadable pidfile, a symlink, a lock held without a pid. */
        record Unknown(String reason) implements Status {
            public int lsbCode() {
                return 4;
            }

            public String describe() {
                return "unknown: " + reason;
            }
        }
    }

    /** Reads the status from the pidfile and /proc. */
    public static Status status(Path pidfile) {
        Pidfile.State s = Pidfile.inspect(pidfile);
        // A launcher writes the pid right after taking the lock; give it a moment.
        for (int i = 0; i < 20 && s instanceof Pidfile.State.Running r && r.pid().isEmpty(); i++) {
            sleep(50);
            s = Pidfile.inspect(pidfile);
        }
        return switch (s) {
            case Pidfile.State.Missing m -> new Status.NotRunning();
            case Pidfile.State.Unusable u -> new Status.Unknown(u.reason());
            case Pidfile.State.Stale st -> new Status.Dead(st.pid().isPresent() ? Optional.of(st.pid().getAsLong()) : Optional.empty());
            case Pidfile.State.Running r -> {
                if (r.pid().isEmpty()) {
                    yield new Status.Unknown(pidfile + " is locked but holds no pid");
                }
                int pid = (int) r.pid().getAsLong();
                Optional<ProcessInfo> info = ProcessTable.of(pid);
                if (info.isEmpty() || info.get().isZombie()) {
                    yield new Status.Unknown(pidfile + " is locked, but pid " + pid
                            + " is gone (a child it left behind still holds the lock)");
                }
                yield new Status.Running(pid, info);
            }
        };
    }

    /** How a stop ended. */
    public sealed interface StopResult {
        /** It was running and is gone now; {@code killed} if SIGKILL was needed. */
        record Stopped(int pid, boolean killed) implements StopResult {
        }

        /** Nothing was running; {@code removedStale} if a stale pidfile was cleaned up. */
        record NotRunning(boolean removedStale) implements StopResult {
        }
    }

    /**
     * Sends {@code signal}, waits up to {@code timeout} for the daemon to exit, then SIGKILLs it
     * and waits again; finally removes the pidfile if the daemon did not.
     *
     * @throws IOException when the daemon cannot be signalled (another user's process: EPERM) or
     *                     survives SIGKILL, or the pidfile is unusable
     */
    public static StopResult stop(Path pidfile, Signal signal, Duration timeout) throws IOException {
        Status st = status(pidfile);
        switch (st) {
            case Status.NotRunning n -> {
                return new StopResult.NotRunning(false);
            }
            case Status.Dead d -> {
                boolean removed = Pidfile.removeIfStale(pidfile);
                LOG.info("removed stale pidfile {}", pidfile);
                return new StopResult.NotRunning(removed);
            }
            case Status.Unknown u -> {
                // The daemon died but processes of its session keep the lock: finish the job.
                if (Pidfile.inspect(pidfile) instanceof Pidfile.State.Running(var held) && held.isPresent()) {
                    int pid = (int) held.getAsLong();
                    stopLeftovers(pid, signal, timeout);
                    waitForUnlock(pidfile);
                    return new StopResult.Stopped(pid, false);
                }
                throw new IOException(u.reason());
            }
            case Status.Running r -> {
                int pid = r.pid();
                int pidfd;
                try {
                    pidfd = Posix.pidfdOpen(pid);
                } catch (PosixException e) {
                    if (e.errno() == Errno.ESRCH) {
                        // Gone between the status and now.
                        waitForUnlock(pidfile);
                        return new StopResult.Stopped(pid, false);
                    }
                    throw e;
                }
                try {
                    return stopVia(pidfd, pid, pidfile, signal, timeout);
                } finally {
                    Posix.close(pidfd);
                }
            }
        }
    }

    private static StopResult stopVia(int pidfd, int pid, Path pidfile, Signal signal, Duration timeout)
            throws IOException {
        // The pidfd was opened while the lock showed the daemon alive: it names that very process.
        if (!Pidfile.inspect(pidfile).equals(new Pidfile.State.Running(java.util.OptionalLong.of(pid)))) {
            if (!Posix.pollReadable(pidfd, Duration.ZERO)) {
                throw new IOException(pidfile + " changed while stopping pid " + pid + "; not signalling it");
            }
        }
        try {
            Posix.pidfdSendSignal(pidfd, signal);
        } catch (PosixException e) {
            if (e.errno() == Errno.ESRCH) {
                waitForUnlock(pidfile);
                return new StopResult.Stopped(pid, false);
            }
            if (e.errno() == Errno.EPERM) {
                throw new IOException("not permitted to signal pid " + pid + " (EPERM: it belongs to another user)", e);
            }
            throw e;
        }
        LOG.debug("sent {} to pid {}, waiting up to {} ms", signal, pid, timeout.toMillis());
        boolean killed = false;
        if (!Posix.pollReadable(pidfd, timeout)) {
            LOG.warn("pid {} still running {} ms after {}; sending SIGKILL", pid, timeout.toMillis(), signal);
            try {
                Posix.pidfdSendSignal(pidfd, Signal.SIGKILL);
            } catch (PosixException e) {
                if (e.errno() != Errno.ESRCH) {
                    throw e;
                }
            }
            killed = true;
            if (!Posix.pollReadable(pidfd, KILL_WAIT)) {
                throw new IOException("pid " + pid + " survived SIGKILL for " + KILL_WAIT.toSeconds()
                        + " s (uninterruptible sleep?)");
            }
        }
        stopLeftovers(pid, signal, timeout);
        waitForUnlock(pidfile);
        return new StopResult.Stopped(pid, killed);
    }

    /**
     * Processes the daemon started stay in its session (it is the session leader) and may hold
     * the pidfile's descriptor, and with it the lock. Like systemd's KillMode=control-group, but
     * by session: they get the same signal, then SIGKILL after the timeout.
     */
    private static void stopLeftovers(int sid, Signal signal, Duration timeout) {
        List<Integer> fds = new ArrayList<>();
        for (ProcessInfo p : ProcessTable.all()) {
            if (p.sid() == sid && p.pid() != sid && !p.isZombie()) {
                try {
                    int fd = Posix.pidfdOpen(p.pid());
                    fds.add(fd);
                    Posix.pidfdSendSignal(fd, signal);
                    LOG.info("sent {} to pid {} left behind in the daemon's session: {}", signal, p.pid(), p.commandText());
                } catch (PosixException e) {
                    LOG.debug("leftover pid {}: {}", p.pid(), e.getMessage());
                }
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int fd : fds) {
            try {
                Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
                if (!Posix.pollReadable(fd, left)) {
                    Posix.pidfdSendSignal(fd, Signal.SIGKILL);
                    Posix.pollReadable(fd, KILL_WAIT);
                }
            } catch (PosixException e) {
                LOG.debug("leftover: {}", e.getMessage());
            } finally {
                try {
                    Posix.close(fd);
                } catch (PosixException ignored) {
                    // nothing left to do
                }
            }
        }
    }

    /**
     * After the daemon died its lock goes with it (unless a child inherited the descriptor);
     * removes the file if the daemon did not.
     */
    private static void waitForUnlock(Path pidfile) {
        for (int i = 0; i < 40; i++) {
            Pidfile.State s = Pidfile.inspect(pidfile);
            if (s instanceof Pidfile.State.Missing) {
                return;
            }
            if (s instanceof Pidfile.State.Stale) {
                Pidfile.removeIfStale(pidfile);
                return;
            }
            sleep(50);
        }
        LOG.warn("{} is still locked after the daemon exited: a process it started holds the lock", pidfile);
    }

    /**
     * Sends a signal to the running daemon through a pidfd (for reload, log reopening).
     *
     * @return the daemon's pid
     * @throws IOException when it is not running or cannot be signalled
     */
    public static int signal(Path pidfile, Signal signal) throws IOException {
        Status st = status(pidfile);
        if (!(st instanceof Status.Running r)) {
            throw new IOException("daemon is " + st.describe());
        }
        int pidfd = Posix.pidfdOpen(r.pid());
        try {
            Posix.pidfdSendSignal(pidfd, signal);
            return r.pid();
        } finally {
            Posix.close(pidfd);
        }
    }

    /**
     * Whether the process has a handler for the signal (SigCgt in /proc/PID/status): sending
     * SIGHUP or SIGUSR1 to a program that does not catch it would kill it instead of reloading.
     */
    public static boolean catches(int pid, Signal signal) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("SigCgt:")) {
                long mask = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                return (mask & (1L << (signal.number() - 1))) != 0;
            }
        }
        return false;
    }

    /** 3d4h, 2h5m, 4m10s, 12s. */
    static String human(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s >= 86400) {
            return s / 86400 + "d" + s % 86400 / 3600 + "h";
        }
        if (s >= 3600) {
            return s / 3600 + "h" + s % 3600 / 60 + "m";
        }
        if (s >= 60) {
            return s / 60 + "m" + s % 60 + "s";
        }
        return s + "s";
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
