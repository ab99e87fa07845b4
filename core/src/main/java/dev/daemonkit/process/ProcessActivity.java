package dev.daemonkit.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * One look at what a process and its live descendants are doing: which processes there are, the
 * CPU time all their threads have used (nanoseconds, from /proc/PID/task/TID/schedstat), and
 * whether every one of those threads was asleep (state S: blocked in poll, accept, nanosleep, a
 * futex...). Two looks that saw the same processes asleep and the same CPU time mean nothing in
 * the tree ran in between: it has finished what it did on its own and waits for the world —
 * for work, or for a dependency (a database, DNS, a lock): the two look alike.
 *
 * <p>A runnable thread that is not scheduled (a busy machine) is R, not S, and a thread blocked on
 * the disk is D: neither counts as asleep, so load never makes a busy program look idle.
 */
public record ProcessActivity(Set<Integer> pids, long cpuNanos, boolean allAsleep) {

    /** More pids than this created since the root: list the whole of /proc instead. */
    static final int RECENT_PIDS_MAX = 512;

    /** Looks at {@code root} and its live descendants now; a process or thread that vanished while looked at counts as awake. */
    public static ProcessActivity of(int root) {
        Set<Integer> pids = tree(root);
        long cpu = 0;
        boolean asleep = true;
        for (int pid : pids) {
            Path tasks = Path.of("/proc", Integer.toString(pid), "task");
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(tasks)) {
                for (Path task : ds) {
                    String stat = KernelFiles.read(task.resolve("stat"));
                    asleep &= stat.charAt(stat.lastIndexOf(')') + 2) == 'S';
                    String sched = KernelFiles.read(task.resolve("schedstat"));
                    cpu += Long.parseLong(sched.substring(0, sched.indexOf(' ')));
                }
            } catch (IOException | RuntimeException gone) {
                asleep = false;
            }
        }
        return new ProcessActivity(Set.copyOf(pids), cpu, asleep);
    }

    /**
     * {@code root} and its live descendants. Those were all created after it, so their pids lie
     * between it and the last pid the kernel handed out in this pid namespace
     * (/proc/sys/kernel/ns_last_pid; /proc/loadavg's last field can be virtualised, by LXCFS for
     * one): a just-spawned program's tree is found by reading those few /proc entries, not all of
     * /proc (which costs milliseconds in a JVM that has just started). The whole of /proc is read
     * when pids have wrapped around since, many were created, or the counter cannot be read. A
     * thread of a descendant read this way is looked at as its process a second time: the same
     * answer twice.
     */
    static Set<Integer> tree(int root) {
        Set<Integer> pids = new HashSet<>();
        pids.add(root);
        int newest = lastPid();
        if (newest < root || newest - root > RECENT_PIDS_MAX) {
            pids.addAll(Descendants.live(root).keySet());
            return pids;
        }
        for (int pid = root + 1; pid <= newest; pid++) {
            Optional<ProcessTable.Brief> b = ProcessTable.brief(pid);
            if (b.isPresent() && !b.get().isZombie() && pids.contains(b.get().ppid())) {
                pids.add(pid); // parents come before their children in this order
            }
        }
        return pids;
    }

    /** The last pid handed out in this pid namespace; -1 if unreadable. */
    private static int lastPid() {
        try {
            return Integer.parseInt(KernelFiles.read(Path.of("/proc/sys/kernel/ns_last_pid")).trim());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Both looks saw the same processes, all asleep, and none of them ran in between. */
    public boolean stillSince(ProcessActivity earlier) {
        return allAsleep && earlier.allAsleep && cpuNanos == earlier.cpuNanos && pids.equals(earlier.pids);
    }
}
