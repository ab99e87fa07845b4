package dev.daemonkit.daemon;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.process.ProcessInfo;
import dev.daemonkit.process.ProcessTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After a failed start, stops exactly what the launcher started: its descendants. The launcher
 * is a child subreaper while it starts a daemon, so whatever the daemon put in the background —
 * even in a session of its own, even after its parent exited — is re-parented to the launcher
 * and stays its descendant. Nothing else is ever touched, whatever the daemon wrote on its
 * readiness pipe and whoever else holds a lock on the same pidfile (another start may have taken
 * it over by then).
 */
final class SessionCleanup {
    private static final Logger LOG = LoggerFactory.getLogger(DaemonLauncher.class);
    private static final Duration GRACE = Duration.ofSeconds(1);

    private SessionCleanup() {
    }

    /** The live descendants of this process. */
    static List<ProcessInfo> leftovers() {
        List<ProcessInfo> all = ProcessTable.all();
        Map<Integer, Integer> parent = new HashMap<>();
        for (ProcessInfo p : all) {
            parent.put(p.pid(), p.ppid());
        }
        int self = Posix.getpid();
        List<ProcessInfo> out = new ArrayList<>();
        for (ProcessInfo p : all) {
            if (!p.isZombie() && p.pid() != self && descends(p.pid(), self, parent)) {
                out.add(p);
            }
        }
        return out;
    }

    /** Whether {@code ancestor} is on {@code pid}'s parent chain. */
    static boolean descends(int pid, int ancestor, Map<Integer, Integer> parent) {
        Integer p = parent.get(pid);
        for (int depth = 0; p != null && p > 0 && depth < 4096; depth++) {
            if (p == ancestor) {
                return true;
            }
            p = parent.get(p);
        }
        return false;
    }

    /** Whether {@code pid} is a live descendant of this process now. */
    static boolean isOurs(int pid) {
        return ProcessTable.isLive(pid) && ProcessTable.isDescendant(pid, Posix.getpid());
    }

    /** "pid 4242 (sleep 100), pid 4243 (sh -c ...)". */
    static String describe(List<ProcessInfo> ps) {
        StringBuilder sb = new StringBuilder();
        for (ProcessInfo p : ps) {
            String cmd = Startup.printable(p.commandText()); // the daemon chose its command line
            sb.append(sb.isEmpty() ? "" : ", ").append("pid ").append(p.pid()).append(" (")
                    .append(cmd.length() > 60 ? cmd.substring(0, 60) + "..." : cmd).append(')');
        }
        return sb.toString();
    }

    /** TERM, then KILL after a second, to each descendant, checked again once its pidfd pins it. */
    static int stop() {
        List<Fd> pinned = new ArrayList<>();
        try {
            for (ProcessInfo p : leftovers()) {
                if (ProtectedPids.reason(p.pid()).isPresent()) {
                    continue;
                }
                try {
                    Fd fd = Posix.openPidfd(p.pid());
                    if (!isOurs(p.pid())) {
                        fd.close();
                        continue;
                    }
                    pinned.add(fd);
                    Posix.pidfdSendSignal(fd, Signal.SIGTERM);
                } catch (PosixException e) {
                    if (e.errno() != Errno.ESRCH) {
                        LOG.warn("cannot stop pid {} left by the failed start: {}", p.pid(), e.getMessage());
                    }
                }
            }
            long deadline = System.nanoTime() + GRACE.toNanos();
            for (Fd fd : pinned) {
                try {
                    if (!Posix.pollReadable(fd, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                        Posix.pidfdSendSignal(fd, Signal.SIGKILL);
                        Posix.pollReadable(fd, Duration.ofSeconds(5));
                    }
                } catch (PosixException e) {
                    LOG.debug("cleanup: {}", e.getMessage());
                }
            }
            return pinned.size();
        } finally {
            pinned.forEach(Fd::close);
        }
    }
}
