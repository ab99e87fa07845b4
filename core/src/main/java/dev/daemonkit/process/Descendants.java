package dev.daemonkit.process;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processes below this one (children, their children...), found through /proc's parent links,
 * and their clean-up when an init or a subreaper ends: SIGTERM, a grace period, then SIGKILL for
 * whatever is left — as a container runtime does with a container. Each signal goes through a
 * pidfd opened after the process was seen and checked to still have the parent it was seen with,
 * so a recycled pid is never signalled.
 */
public final class Descendants {
    private static final Logger LOG = LoggerFactory.getLogger(Descendants.class);
    private static final long POLL_MILLIS = 20;
    /** How long to wait for the last SIGKILLed processes to be reaped before giving up. */
    private static final Duration AFTER_KILL = Duration.ofSeconds(5);

    private Descendants() {
    }

    /** One line of /proc/PID/stat that matters here. */

    /** The live (not zombie) descendants of this process, by pid, each mapped to its parent. */
    public static Map<Integer, Integer> live() {
        return live(Posix.getpid());
    }

    static Map<Integer, Integer> live(int root) {
        Map<Integer, List<ProcessTable.Brief>> byParent = new HashMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!name.isEmpty() && name.chars().allMatch(Character::isDigit)) {
                    ProcessTable.brief(Integer.parseInt(name))
                            .ifPresent(s -> byParent.computeIfAbsent(s.ppid(), k -> new ArrayList<>()).add(s));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        Map<Integer, Integer> found = new HashMap<>();
        List<Integer> todo = new ArrayList<>(List.of(root));
        while (!todo.isEmpty()) {
            int parent = todo.remove(todo.size() - 1);
            for (ProcessTable.Brief s : byParent.getOrDefault(parent, List.of())) {
                if (!s.isZombie()) {
                    found.put(s.pid(), parent);
                }
                todo.add(s.pid()); // a zombie's children were re-parented already; harmless to look
            }
        }
        return found;
    }


    /**
     * SIGTERM to every live descendant (and to those that appear meanwhile), then SIGKILL to
     * whatever is still alive after {@code grace}; returns once none is left alive (their zombies
     * are for this process's reaper) or 5 s after the SIGKILL.
     *
     * @return how many processes were signalled
     */
    public static int terminateAll(Duration grace) {
        Map<Integer, Integer> signalled = new HashMap<>();
        java.util.Set<Integer> everyone = new java.util.HashSet<>();
        long deadline = System.nanoTime() + grace.toNanos();
        Signal sig = Signal.SIGTERM;
        long giveUp = Long.MAX_VALUE;
        while (true) {
            Map<Integer, Integer> now = live();
            if (now.isEmpty()) {
                return everyone.size();
            }
            if (sig == Signal.SIGTERM && System.nanoTime() - deadline >= 0) {
                LOG.warn("{} process(es) still running {} ms after SIGTERM: sending SIGKILL", now.size(), grace.toMillis());
                sig = Signal.SIGKILL;
                signalled.clear(); // everyone left gets SIGKILL once
                giveUp = System.nanoTime() + AFTER_KILL.toNanos();
            }
            if (System.nanoTime() - giveUp >= 0) {
                LOG.warn("{} process(es) still there after SIGKILL: {}", now.size(), now.keySet());
                return everyone.size();
            }
            for (Map.Entry<Integer, Integer> e : now.entrySet()) {
                if (!signalled.containsKey(e.getKey()) && send(e.getKey(), e.getValue(), sig)) {
                    signalled.put(e.getKey(), e.getValue());
                    everyone.add(e.getKey());
                }
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return everyone.size();
            }
        }
    }

    /** Signals {@code pid} through a pidfd, if it is still the process whose parent was {@code ppid}. */
    private static boolean send(int pid, int ppid, Signal sig) {
        try (Fd fd = Posix.openPidfd(pid)) {
            if (ProcessTable.brief(pid).filter(s -> s.ppid() == ppid).isEmpty()) {
                return false; // ended (and maybe recycled) since we looked
            }
            Posix.pidfdSendSignal(fd, sig);
            LOG.debug("sent {} to pid {}", sig, pid);
            return true;
        } catch (PosixException e) {
            if (e.errno() != Errno.ESRCH) {
                LOG.debug("cannot signal pid {}: {}", pid, e.getMessage());
            }
            return false;
        }
    }
}
