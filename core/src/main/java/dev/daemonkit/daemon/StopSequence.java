package dev.daemonkit.daemon;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.FileStat;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.process.FileLocks;
import dev.daemonkit.process.ProcessInfo;
import dev.daemonkit.process.ProcessTable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link DaemonControl#stop}: the signal, the wait, SIGKILL, then what the daemon left behind —
 * other holders of its lock and the rest of its session — then the stale pidfile. Many stops of
 * one daemon may run at once: each sees the daemon exit through its own pidfd, and the removal
 * of the stale file tolerates the others doing the same.
 */
final class StopSequence {
    private static final Logger LOG = LoggerFactory.getLogger(DaemonControl.class);
    /** How long SIGKILL may take before stop gives up. */
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);
    /** How long the lock may outlive the processes we stopped before we report it. */
    private static final Duration UNLOCK_WAIT = Duration.ofSeconds(2);

    private StopSequence() {
    }

    private static DaemonControl.StopResult notRunning(Path pidfile) {
        ForkingRecord.remove(pidfile); // a record whose daemon is gone, if any
        return new DaemonControl.StopResult.NotRunning(false, Optional.empty());
    }

    static DaemonControl.StopResult stop(Path pidfile, Signal signal, Duration timeout, Identity expected)
            throws IOException {
        Resolved r = Resolved.of(pidfile, expected, true);
        if (r instanceof Resolved.NotRunning) {
            return notRunning(pidfile); // before the switch: see Resolved.of
        }
        return switch (r) {
            case Resolved.NotRunning n -> notRunning(pidfile);
            case Resolved.Bad b -> throw b.badInput()
                    ? PidfileException.notAPidfile(b.reason() + "; nothing was signalled or removed")
                    : PidfileException.refused(b.reason() + "; nothing was signalled or removed");
            case Resolved.Empty e -> new DaemonControl.StopResult.NotRunning(false,
                    Optional.of(pidfile + " is empty; left in place"));
            case Resolved.Stale s -> {
                ForkingRecord.remove(pidfile);
                yield new DaemonControl.StopResult.NotRunning(removeStale(pidfile, s.file().file()), Optional.empty());
            }
            case Resolved.Recorded rec -> stopRecorded(pidfile, rec, signal, timeout, expected);
            case Resolved.LockedUnverified u -> throw PidfileException.refused(pidfile + " is locked by a process"
                    + " this user cannot inspect (pid " + u.pid() + "?); run stop as root or as the daemon's user");
            case Resolved.Locked l -> stopLocked(pidfile, l, signal, timeout, expected);
            case Resolved.Foreign f -> stopForeign(pidfile, f, signal, timeout, expected);
        };
    }

    private static DaemonControl.StopResult stopLocked(Path pidfile, Resolved.Locked l, Signal signal,
            Duration timeout, Identity expected) throws IOException {
        int daemon = l.daemon();
        DaemonControl.guard(daemon);
        DaemonControl.refuseMismatch(l.mismatch());
        FileStat file = l.file().file();
        // Read the session while the daemon lives: what it started stays there after it is gone.
        Optional<Integer> sid = ProcessTable.of(daemon).filter(StopSequence::ownsItsSession).map(ProcessInfo::sid);
        boolean killed = terminatePinned(l, daemon, signal, timeout, expected);
        stopLeftovers(daemon, l.holders(), sid, file, signal, timeout);
        waitForUnlock(pidfile, file);
        return new DaemonControl.StopResult.Stopped(daemon, killed, l.hintNote());
    }

    private static DaemonControl.StopResult stopForeign(Path pidfile, Resolved.Foreign f, Signal signal,
            Duration timeout, Identity expected) throws IOException {
        DaemonControl.guard(f.pid());
        DaemonControl.refuseForeign(pidfile, f);
        boolean killed = terminatePinned(f, f.pid(), signal, timeout, expected);
        // Its own program normally removes it; if not, it is stale now.
        removeStale(pidfile, f.file().file());
        return new DaemonControl.StopResult.Stopped(f.pid(), killed, Optional.empty());
    }

    /**
     * Whether the daemon's session is its own to sweep: it leads it (daemonkit start's SETSID), or
     * its leader is gone (the first stage of a double fork), and it has no controlling terminal —
     * a foreground `daemonkit run` lives in a user's terminal session, which is never swept.
     */
    private static boolean ownsItsSession(ProcessInfo daemon) {
        if (daemon.ttyNr() != 0 || daemon.sid() <= 1) {
            return false;
        }
        return daemon.sid() == daemon.pid() || ProcessTable.of(daemon.sid()).isEmpty();
    }

    /** A --forking daemon, known by the identity recorded at its start. */
    private static DaemonControl.StopResult stopRecorded(Path pidfile, Resolved.Recorded rec, Signal signal,
            Duration timeout, Identity expected) throws IOException {
        int daemon = rec.pid();
        DaemonControl.guard(daemon);
        DaemonControl.refuseMismatch(rec.mismatch());
        Optional<Integer> sid = ProcessTable.of(daemon).filter(StopSequence::ownsItsSession).map(ProcessInfo::sid);
        boolean killed = terminatePinned(rec, daemon, signal, timeout, expected);
        if (sid.isPresent()) {
            stopLeftovers(daemon, List.of(), sid, null, signal, timeout);
        }
        if (PidfileProbe.inspect(pidfile, false) instanceof PidfileProbe.Regular r && !r.lock().locked()) {
            removeStale(pidfile, r.file()); // the program normally removes its own
        }
        ForkingRecord.remove(pidfile);
        return new DaemonControl.StopResult.Stopped(daemon, killed, rec.hintNote());
    }

    /**
     * Pins {@code pid} with a pidfd, checks that what it pins is still the target the pidfile
     * resolved to (not a recycled pid), then terminates it. Returns whether SIGKILL was needed;
     * a daemon already gone is not an error.
     */
    private static boolean terminatePinned(Resolved target, int pid, Signal signal, Duration timeout,
            Identity expected) throws IOException {
        try (Fd pidfd = Posix.openPidfd(pid)) {
            return DaemonControl.stillTheTarget(target, pid, expected) && terminate(pidfd, pid, signal, timeout);
        } catch (PosixException e) {
            if (e.errno() != Errno.ESRCH) {
                throw permission(pid, e);
            }
            return false;
        }
    }

    /** Signal, wait, SIGKILL, wait. Returns whether SIGKILL was needed. */
    private static boolean terminate(Fd pidfd, int pid, Signal signal, Duration timeout) throws IOException {
        try {
            Posix.pidfdSendSignal(pidfd, signal);
        } catch (PosixException e) {
            if (e.errno() == Errno.ESRCH) {
                return false;
            }
            throw permission(pid, e);
        }
        LOG.debug("sent {} to pid {}, waiting up to {} ms", signal, pid, timeout.toMillis());
        if (Posix.pollReadable(pidfd, timeout)) {
            return false;
        }
        LOG.warn("pid {} still running {} ms after {}; sending SIGKILL", pid, timeout.toMillis(), signal);
        try {
            Posix.pidfdSendSignal(pidfd, Signal.SIGKILL);
        } catch (PosixException e) {
            if (e.errno() != Errno.ESRCH) {
                throw e;
            }
        }
        if (!Posix.pollReadable(pidfd, KILL_WAIT)) {
            throw new IOException("pid " + pid + " survived SIGKILL for " + KILL_WAIT.toSeconds()
                    + " s (uninterruptible sleep?)");
        }
        return true;
    }

    private static IOException permission(int pid, PosixException e) {
        if (e.errno() == Errno.EPERM) {
            return new IOException("not permitted to signal pid " + pid + " (EPERM: it belongs to another user)", e);
        }
        return e;
    }

    /**
     * What the daemon leaves behind is ours too: the other holders of its lock (children that
     * inherited the descriptor) and, when it led a session of its own, that session's members
     * (systemd's KillMode=control-group, by session). They get the same signal, then SIGKILL after
     * the timeout. Never a session of the caller or its ancestors, never a protected pid.
     */
    private static void stopLeftovers(int daemon, List<Integer> holders, Optional<Integer> sid, FileStat file,
            Signal signal, Duration timeout) {
        Set<Integer> ownSessions = ProtectedPids.ownSessions();
        boolean sweep = sid.isPresent() && !ownSessions.contains(sid.get());
        Map<Integer, String> targets = new LinkedHashMap<>();
        for (int pid : holders) {
            if (pid != daemon) {
                targets.put(pid, "holding the pidfile's lock");
            }
        }
        if (sweep) {
            for (ProcessInfo p : ProcessTable.all()) {
                if (p.sid() == sid.get() && p.pid() != daemon && !p.isZombie()) {
                    targets.putIfAbsent(p.pid(), "left in the daemon's session");
                }
            }
        }
        List<Fd> opened = new ArrayList<>();
        try {
            for (var t : targets.entrySet()) {
                int pid = t.getKey();
                if (ProtectedPids.reason(pid).isPresent()) {
                    continue;
                }
                try {
                    Fd fd = Posix.openPidfd(pid);
                    // Pinned now: check it is still what we found (not a recycled pid).
                    boolean ours = file != null && FileLocks.holds(pid, file)
                            || sweep && ProcessTable.of(pid).map(p -> p.sid() == sid.get()).orElse(false);
                    if (!ours) {
                        fd.close();
                        continue;
                    }
                    opened.add(fd);
                    // Described before the signal: a process that dies of it at once has no command line left.
                    String what = ProcessTable.of(pid).map(p -> Startup.printable(p.commandText())).orElse("?");
                    Posix.pidfdSendSignal(fd, signal);
                    LOG.info("sent {} to pid {} {}: {}", signal, pid, t.getValue(), what);
                } catch (PosixException e) {
                    LOG.debug("leftover pid {}: {}", pid, e.getMessage());
                }
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            for (Fd fd : opened) {
                try {
                    Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
                    if (!Posix.pollReadable(fd, left)) {
                        Posix.pidfdSendSignal(fd, Signal.SIGKILL);
                        Posix.pollReadable(fd, KILL_WAIT);
                    }
                } catch (PosixException e) {
                    LOG.debug("leftover: {}", e.getMessage());
                }
            }
        } finally {
            opened.forEach(Fd::close);
        }
    }

    /** Waits until nobody holds the lock any more, then removes the file if the daemon did not. */
    private static void waitForUnlock(Path pidfile, FileStat file) {
        long deadline = System.nanoTime() + UNLOCK_WAIT.toNanos();
        while (FileLocks.entry(file).locked()) {
            if (System.nanoTime() > deadline) {
                LOG.warn("{} is still locked after the daemon exited: a process it started holds the lock", pidfile);
                return;
            }
            Pidfile.sleep(20);
        }
        removeStale(pidfile, file);
    }

    static boolean removeStale(Path pidfile, FileStat file) {
        StatusNote.remove(pidfile); // the STATUS= of a daemon that is gone
        return Pidfile.removeIfStale(pidfile, file);
    }
}
