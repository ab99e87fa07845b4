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
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After a failed start, stops exactly what the launcher started: the processes of the session it
 * created for the daemon (sid = the spawned child's pid) and those holding the pidfile's lock it
 * handed down — never anything else, whatever the daemon wrote on its readiness pipe.
 */
final class SessionCleanup {
    private static final Logger LOG = LoggerFactory.getLogger(DaemonLauncher.class);
    private static final Duration GRACE = Duration.ofSeconds(1);

    private SessionCleanup() {
    }

    /** The live processes the start left: in the session {@code sid}, or holding {@code lockFile}. */
    static List<ProcessInfo> leftovers(int sid, Optional<FileStat> lockFile) {
        Map<Integer, ProcessInfo> found = new LinkedHashMap<>();
        int self = Posix.getpid();
        for (ProcessInfo p : ProcessTable.all()) {
            if (p.pid() != self && !p.isZombie() && p.sid() == sid) {
                found.put(p.pid(), p);
            }
        }
        if (lockFile.isPresent()) {
            for (int pid : FileLocks.holders(lockFile.get(), List.of(), true).holders()) {
                if (pid != self) {
                    ProcessTable.of(pid).ifPresent(p -> found.putIfAbsent(pid, p));
                }
            }
        }
        return new ArrayList<>(found.values());
    }

    /** "pid 4242 (sleep 100), pid 4243 (sh -c ...)". */
    static String describe(List<ProcessInfo> ps) {
        StringBuilder sb = new StringBuilder();
        for (ProcessInfo p : ps) {
            String cmd = p.commandText();
            sb.append(sb.isEmpty() ? "" : ", ").append("pid ").append(p.pid()).append(" (")
                    .append(cmd.length() > 60 ? cmd.substring(0, 60) + "..." : cmd).append(')');
        }
        return sb.toString();
    }

    /**
     * TERM, then KILL after a second, to each process still ours once its pidfd pins it (in the
     * session, or holding the lock). Returns how many were stopped.
     */
    static int stop(int sid, Optional<FileStat> lockFile) {
        List<Fd> pinned = new ArrayList<>();
        try {
            for (ProcessInfo p : leftovers(sid, lockFile)) {
                if (ProtectedPids.reason(p.pid()).isPresent()) {
                    continue;
                }
                try {
                    Fd fd = Posix.openPidfd(p.pid());
                    boolean ours = ProcessTable.of(p.pid()).map(q -> q.sid() == sid).orElse(false)
                            || lockFile.isPresent() && FileLocks.holds(p.pid(), lockFile.get());
                    if (!ours) {
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
