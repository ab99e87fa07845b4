package dev.daemonkit.process;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.WaitStatus;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread of a reaper that owns every child of the process (PID 1 or a subreaper) and still
 * leaves {@link ProcessBuilder}'s children to the JDK. It never calls waitpid(-1). It waits with
 * waitid(P_ALL, WEXITED | WNOWAIT), which only <em>looks</em>, then decides child by child:
 * <ul>
 * <li>a child daemonkit spawned: reaped here (unless its own waiter is reaping it);</li>
 * <li>a child some other thread is blocked waiting for ({@link ThreadWaits}, e.g. the JDK's process
 *     reaper in wait4(pid)): left to that thread;</li>
 * <li>a child of the process's main thread (the thread group leader, where the kernel re-parents
 *     orphans; with the java launcher no Java code runs there, so it starts no process): an
 *     adopted orphan, reaped at once;</li>
 * <li>any other child (started by a Java thread, e.g. by ProcessBuilder, whose JDK waiter has not
 *     begun waiting yet): left alone for {@link #UNCLAIMED_GRACE_MILLIS}, then reaped so that it
 *     cannot stay a zombie for ever.</li>
 * </ul>
 */
final class OwnAllLoop {
    private static final Logger LOG = LoggerFactory.getLogger(Reaper.class);

    /** How long a zombie started by one of our threads is left for its own waiter. */
    static final long UNCLAIMED_GRACE_MILLIS = 10_000;
    private static final long MAX_NAP_MILLIS = 20;
    private static final Path TASKS = Path.of("/proc/self/task");

    /** What the loop needs from its {@link Reaper}. */
    interface Owner {
        /** The spawned child with that pid, if daemonkit spawned it and it is not reaped yet. */
        ChildProcess live(int pid);

        /** A child daemonkit did not spawn was reaped. */
        void reapedUnknown(WaitStatus status);

        /** No child at all: waits a while for one to be spawned; false when interrupted. */
        boolean awaitChildren();
    }

    private final Owner owner;
    private final int leader = Posix.getpid();
    /** Zombies started by our threads that nobody claimed yet, and when they were first seen. */
    private final Map<Integer, Long> unclaimedSince = new HashMap<>();

    OwnAllLoop(Owner owner) {
        this.owner = owner;
    }

    void run() {
        long nap = 0;
        while (true) {
            try {
                WaitStatus head = Posix.waitidAny(Posix.WNOWAIT);
                if (!head.isTerminated()) {
                    continue;
                }
                if (round(head.pid())) {
                    nap = 0;
                } else {
                    // Every zombie belongs to someone about to reap it (or is in its grace period):
                    // waitid would return at once again, so nap instead of spinning.
                    nap = Math.min(MAX_NAP_MILLIS, nap * 2 + 1);
                    Thread.sleep(nap);
                }
            } catch (PosixException e) {
                if (e.errno() != Errno.ECHILD) {
                    LOG.error("waitid(P_ALL) failed", e);
                }
                if (!owner.awaitChildren()) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            } catch (Throwable t) {
                LOG.error("the reaper thread failed; orphans may stay zombies", t);
                return;
            }
        }
    }

    /** One look at every zombie child; true when at least one was reaped here. */
    private boolean round(int headPid) throws PosixException {
        Map<Integer, Boolean> zombies = zombieChildren(); // pid -> child of the leader thread
        zombies.putIfAbsent(headPid, null);
        Set<Integer> waited = null;
        boolean reaped = false;
        long now = System.nanoTime();
        for (Map.Entry<Integer, Boolean> z : zombies.entrySet()) {
            int pid = z.getKey();
            ChildProcess c = owner.live(pid);
            if (c != null) {
                if (!c.hasWaiter()) {
                    reaped |= reapSpawned(c);
                }
                continue;
            }
            if (waited == null) {
                waited = ThreadWaits.pidsBeingReaped();
            }
            if (waited.contains(pid)) {
                continue; // e.g. the JDK's waiter for a ProcessBuilder child
            }
            if (Boolean.TRUE.equals(z.getValue())) {
                reaped |= reapUnknown(pid, "adopted");
                continue;
            }
            long since = unclaimedSince.computeIfAbsent(pid, p -> now);
            if (now - since >= UNCLAIMED_GRACE_MILLIS * 1_000_000) {
                reaped |= reapUnknown(pid, "unclaimed for " + UNCLAIMED_GRACE_MILLIS + " ms");
            }
        }
        unclaimedSince.keySet().retainAll(zombies.keySet());
        return reaped;
    }

    private static boolean reapSpawned(ChildProcess c) {
        try {
            WaitStatus s = Posix.waitidPid(c.pid(), Posix.WNOHANG);
            if (s.isTerminated()) {
                c.complete(s);
                return true;
            }
        } catch (PosixException e) {
            // ECHILD: its waiter got it first and completes it itself.
        }
        return false;
    }

    private boolean reapUnknown(int pid, String why) {
        try {
            WaitStatus s = Posix.waitidPid(pid, Posix.WNOHANG);
            if (s.isTerminated()) {
                LOG.debug("reaped {} child: {}", why, s);
                owner.reapedUnknown(s);
                return true;
            }
        } catch (PosixException e) {
            // ECHILD: someone else reaped it between our look and now.
        }
        return false;
    }

    /**
     * This process's zombie children, each marked with whether the main thread (the thread group
     * leader) is its parent. Empty where /proc has no children lists (CONFIG_PROC_CHILDREN).
     */
    private Map<Integer, Boolean> zombieChildren() {
        Map<Integer, Boolean> zombies = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
            for (Path task : tasks) {
                boolean isLeader = task.getFileName().toString().equals(Integer.toString(leader));
                for (int pid : children(task)) {
                    if (ProcessTable.brief(pid).filter(ProcessTable.Brief::isZombie).isPresent()) {
                        zombies.put(pid, isLeader);
                    }
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot list children: {}", e.toString());
        }
        return zombies;
    }

    private static Set<Integer> children(Path task) {
        Set<Integer> pids = new HashSet<>();
        try {
            for (String p : Files.readString(task.resolve("children")).trim().split(" ")) {
                if (!p.isEmpty()) {
                    pids.add(Integer.parseInt(p));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // the thread ended meanwhile
        }
        return pids;
    }

}
