package dev.daemonkit.daemon;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.process.ProcessInfo;
import dev.daemonkit.process.ProcessTable;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The processes daemonkit never signals, whatever a pidfile says: pid 1 (init), the caller itself
 * and its ancestors (the shell, sudo, the service manager running it), and kernel threads. Also
 * the sessions it never sweeps: the caller's and its ancestors'.
 */
final class ProtectedPids {
    private ProtectedPids() {
    }

    /** Why {@code pid} must not be signalled, or empty if it may be. */
    static Optional<String> reason(int pid) {
        if (pid <= 1) {
            return Optional.of(pid == 1 ? "pid 1 is init" : "pid " + pid + " is not a process");
        }
        if (pid == Posix.getpid()) {
            return Optional.of("pid " + pid + " is daemonkit itself");
        }
        int p = Posix.getppid();
        for (int depth = 0; p > 1 && depth < 4096; depth++) {
            if (p == pid) {
                return Optional.of("pid " + pid + " is an ancestor of daemonkit (e.g. your shell)");
            }
            Optional<ProcessInfo> info = ProcessTable.of(p);
            if (info.isEmpty()) {
                break;
            }
            p = info.get().ppid();
        }
        Optional<ProcessInfo> target = ProcessTable.of(pid);
        if (target.isPresent() && (target.get().ppid() == 2 || pid == 2)) {
            return Optional.of("pid " + pid + " is a kernel thread");
        }
        return Optional.empty();
    }

    /** Sessions of the caller and its ancestors: a sweep of any of them would hit the user's shell. */
    static Set<Integer> ownSessions() {
        Set<Integer> sids = new HashSet<>();
        int p = Posix.getpid();
        for (int depth = 0; p > 0 && depth < 4096; depth++) {
            Optional<ProcessInfo> info = ProcessTable.of(p);
            if (info.isEmpty()) {
                break;
            }
            sids.add(info.get().sid());
            p = info.get().ppid();
        }
        sids.add(0);
        sids.add(1);
        return sids;
    }
}
