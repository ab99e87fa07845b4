package dev.daemonkit.process;

import dev.daemonkit.posix.Posix;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Which children other threads of this process are reaping right now, read from
 * /proc/self/task/TID/syscall: a thread blocked in wait4(pid) (the JDK's process reaper waits
 * for each {@link ProcessBuilder} child that way) or in waitid(P_PID, pid) without WNOWAIT.
 * An own-all-children reaper leaves those children to that thread: if it reaped one first, the
 * JDK would report exit value 0 for it.
 */
final class ThreadWaits {
    /** Stands for "some thread reaps any child" (wait4(-1) or waitid(P_ALL) without WNOWAIT). */
    static final int ANY = -1;

    private static final Path TASKS = Path.of("/proc/self/task");

    private ThreadWaits() {
    }

    /** The pids being reaped by blocked threads; {@link #ANY} among them if a thread reaps any child. */
    static Set<Integer> pidsBeingReaped() {
        Set<Integer> pids = new HashSet<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
            for (Path task : tasks) {
                String line;
                try {
                    line = Files.readString(task.resolve("syscall"));
                } catch (IOException e) {
                    continue; // the thread ended meanwhile
                }
                int pid = reapedBy(line);
                if (pid != 0) {
                    pids.add(pid);
                }
            }
        } catch (IOException e) {
            // No /proc: nobody can be seen waiting. Callers then rely on their grace period.
        }
        return pids;
    }

    /**
     * The pid a syscall line shows a thread reaping: wait4's first argument, waitid(P_PID)'s
     * second; {@link #ANY} for wait4(-1)/waitid(P_ALL); 0 when it reaps nothing (running, another
     * call, WNOWAIT, or a process group).
     */
    static int reapedBy(String syscallLine) {
        String[] f = syscallLine.trim().split(" ");
        if (f.length < 5 || !f[0].chars().allMatch(Character::isDigit)) {
            return 0; // "running", or "-1 ..." (blocked outside a system call)
        }
        int nr = Integer.parseInt(f[0]);
        if (nr == Posix.SYS_WAIT4) {
            int pid = (int) arg(f[1]);
            return pid > 0 ? pid : pid == -1 ? ANY : 0;
        }
        if (nr == Posix.SYS_WAITID) {
            int idtype = (int) arg(f[1]);
            int id = (int) arg(f[2]);
            long options = arg(f[4]);
            if ((options & Posix.WNOWAIT) != 0) {
                return 0;
            }
            return idtype == Posix.P_PID ? id : idtype == Posix.P_ALL ? ANY : 0;
        }
        return 0;
    }

    private static long arg(String hex) {
        return Long.parseUnsignedLong(hex.startsWith("0x") ? hex.substring(2) : hex, 16);
    }
}
