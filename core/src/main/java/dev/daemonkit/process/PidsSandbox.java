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
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pids cgroup of our own with a {@code pids.max}, so that whatever runs inside can exhaust
 * only its own small budget of tasks, never the machine's: the kernel refuses a fork or thread
 * creation in it with EAGAIN once {@code pids.current} reaches {@code pids.max}, and counts the
 * refusal in {@code pids.events}.
 *
 * <pre>{@code
 * try (PidsSandbox sb = PidsSandbox.create("run", 50)) {
 *     ChildProcess p = Spawn.of(sb.wrap(List.of("make", "-j"))).start();   // make starts inside
 *     WaitStatus s = p.waitFor();
 *     System.out.println("refused: " + sb.cgroup().refused());
 *     sb.killAll(Signal.SIGKILL);                     // what make left behind
 *     sb.awaitEmpty(Duration.ofSeconds(5));
 * }                                                   // the cgroup is removed
 * }</pre>
 *
 * <p>It is created below the caller's own pids cgroup (cgroup v1) or below the nearest cgroup
 * that delegates the pids controller (v2), so every limit above still applies. Creating one
 * needs root or a delegated, writable cgroup; otherwise {@link #create} throws
 * {@link Unavailable} saying what is missing. Left-over sandboxes of processes that died
 * (SIGKILL) are removed by the next {@link #create} once they are empty.
 */
public final class PidsSandbox implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PidsSandbox.class);
    /** Every sandbox directory starts with this, then the creating pid. */
    public static final String PREFIX = "daemonkit-pids-";
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final PidsCgroup cgroup;
    private volatile Membership membership;

    /** No pids cgroup can be created here; the message names what is needed. */
    public static final class Unavailable extends IOException {
        private static final long serialVersionUID = 1L;

        public Unavailable(String message) {
            super(message);
        }
    }

    private PidsSandbox(PidsCgroup cgroup) {
        this.cgroup = cgroup;
    }

    /**
     * Why no sandbox can be made here (not root, no pids controller), or empty if one can: tries
     * to make one of one task and removes it at once.
     */
    public static java.util.Optional<String> unavailableReason() {
        try (PidsSandbox probe = create("probe", 1)) {
            return java.util.Optional.empty();
        } catch (IOException e) {
            return java.util.Optional.of("needs a pids cgroup of its own (root and a pids controller): " + e.getMessage());
        }
    }

    /**
     * Creates the cgroup with {@code pids.max = max}. Nothing is moved into it yet.
     *
     * @param purpose a word for the directory name, e.g. "zombies"
     * @throws Unavailable when there is no pids controller or no right to create a cgroup
     */
    public static PidsSandbox create(String purpose, long max) throws IOException {
        if (max < 1) {
            throw new IllegalArgumentException("pids.max must be at least 1: " + max);
        }
        PidsCgroup parent = writableParent();
        removeStale(parent);
        PidsCgroup cg = parent.child(PREFIX + Posix.getpid() + "-" + purpose + "-" + SEQUENCE.incrementAndGet());
        Files.createDirectory(cg.path());
        PidsSandbox sb = new PidsSandbox(cg);
        try {
            sb.setMax(max);
        } catch (IOException e) {
            sb.close();
            throw e;
        }
        LOG.debug("created {} with pids.max {}", cg.path(), max);
        return sb;
    }

    /** Where a sandbox can be made: v1 the caller's pids cgroup or the root; v2 the nearest delegating one. */
    static PidsCgroup writableParent() throws Unavailable {
        PidsCgroup own = PidsCgroup.ofCurrentThread().orElseThrow(() -> new Unavailable(
                "no pids cgroup controller here: neither a cgroup v1 hierarchy mounted with the pids controller "
                        + "(/sys/fs/cgroup/pids) nor 'pids' in the cgroup v2 root's cgroup.controllers"));
        List<PidsCgroup> candidates = own.chain();
        for (PidsCgroup c : candidates) {
            boolean delegates = own.version() == PidsCgroup.Version.V1 || subtreeControl(c).contains("pids");
            if (delegates && Files.isWritable(c.path()) && Files.isWritable(c.path().resolve("cgroup.procs"))) {
                return c;
            }
        }
        String where = own.version() == PidsCgroup.Version.V1
                ? "write access to " + own.path() + (own.isRoot() ? "" : " or " + candidates.getLast().path()) + " (cgroup v1)"
                : "a cgroup at or above " + own.path() + " with 'pids' in its cgroup.subtree_control that this user may "
                        + "write to (cgroup v2; systemd: a unit with Delegate=yes)";
        return throwUnavailable("creating a pids cgroup needs root or " + where + "; this is uid " + Posix.geteuid());
    }

    private static PidsCgroup throwUnavailable(String message) throws Unavailable {
        throw new Unavailable(message);
    }

    private static List<String> subtreeControl(PidsCgroup c) {
        try {
            return List.of(KernelFiles.read(c.path().resolve("cgroup.subtree_control")).trim().split("\\s+"));
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Removes empty sandboxes whose creator no longer exists (it was killed before it could). */
    static int removeStale(PidsCgroup parent) {
        int removed = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent.path(), PREFIX + "*")) {
            for (Path dir : ds) {
                String rest = dir.getFileName().toString().substring(PREFIX.length());
                int dash = rest.indexOf('-');
                String pid = dash < 0 ? rest : rest.substring(0, dash);
                if (!pid.chars().allMatch(Character::isDigit) || pid.isEmpty() || Files.exists(Path.of("/proc", pid))) {
                    continue;
                }
                try {
                    if (parent.child(dir.getFileName().toString()).processes().isEmpty()) {
                        Files.delete(dir);
                        removed++;
                        LOG.info("removed the stale pids cgroup {} (its creator, pid {}, is gone)", dir, pid);
                    }
                } catch (IOException e) {
                    LOG.debug("stale pids cgroup {} not removed: {}", dir, e.getMessage());
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot list {}: {}", parent.path(), e.getMessage());
        }
        return removed;
    }

    /** The cgroup itself: its pids.current, pids.events and so on. */
    public PidsCgroup cgroup() {
        return cgroup;
    }

    /** Its pids.max now. */
    public long max() {
        return cgroup.max().orElse(Long.MAX_VALUE);
    }

    /** Changes pids.max; lowering it below pids.current refuses new tasks but kills none. */
    public void setMax(long max) throws IOException {
        KernelFiles.write(cgroup.path().resolve("pids.max"), Long.toString(max));
    }

    /**
     * Moves the caller in: in cgroup v1 only the calling thread (the rest of the JVM stays outside,
     * so its threads can still start when the sandbox is full), in v2 the whole process (v2 keeps
     * a process's threads together). Children created by the caller from then on start inside.
     * Close the membership to move back; {@link #close()} does so too.
     */
    public Membership enter() throws IOException {
        if (membership != null) {
            throw new IllegalStateException("already entered " + cgroup.path());
        }
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("enter a pids sandbox from a platform thread (a virtual thread "
                    + "would move its carrier)");
        }
        PidsCgroup from = PidsCgroup.ofCurrentThread().orElseThrow(() -> new IOException("no pids cgroup to come from"));
        boolean threadOnly = cgroup.version() == PidsCgroup.Version.V1;
        String file = threadOnly ? "tasks" : "cgroup.procs";
        // "0" means the writer: the calling thread for tasks, its whole process for cgroup.procs.
        String tid = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
        KernelFiles.write(cgroup.path().resolve(file), "0");
        Membership m = new Membership(from, file, threadOnly ? tid : Integer.toString(Posix.getpid()));
        membership = m;
        return m;
    }

    /** Being inside the sandbox; {@link #close()} moves the caller back where it came from. */
    public final class Membership implements AutoCloseable {
        private final PidsCgroup from;
        private final String file;
        private final String id;

        private Membership(PidsCgroup from, String file, String id) {
            this.from = from;
            this.file = file;
            this.id = id;
        }

        /** True when only the entering thread is inside (cgroup v1), false for the whole process. */
        public boolean threadOnly() {
            return file.equals("tasks");
        }

        @Override
        public void close() throws IOException {
            if (membership != this) {
                return;
            }
            // By id, not "0": a shutdown hook may move the entering thread back for it.
            KernelFiles.write(from.path().resolve(file), id);
            membership = null;
        }
    }

    /**
     * The command, prefixed so that it joins this cgroup before it runs: {@code /bin/sh -c
     * 'echo 0 > CGROUP/cgroup.procs || exit 126; exec "$@"'}. The shell moves itself in and
     * then execs the command (same pid), so not even its first fork escapes the limit.
     *
     * @throws IllegalArgumentException for a program name starting with '-' (exec would take it
     *                                  for an option in some shells; dash has no "--" there)
     */
    public List<String> wrap(List<String> command) {
        if (command.isEmpty() || command.getFirst().startsWith("-")) {
            throw new IllegalArgumentException("not a program to run: " + (command.isEmpty() ? "(none)" : command.getFirst()));
        }
        List<String> l = new ArrayList<>(List.of("/bin/sh", "-c", "echo 0 > \"$0\" || exit 126; exec \"$@\"",
                cgroup.path().resolve("cgroup.procs").toString()));
        l.addAll(command);
        return l;
    }

    /**
     * Sends a signal to every process still in the cgroup, each through a pidfd opened after
     * checking it is still inside (so a reused pid is never hit).
     *
     * @return how many were signalled
     */
    public int killAll(Signal signal) throws IOException {
        int n = 0;
        for (int pid : cgroup.processes()) {
            if (pid == Posix.getpid()) {
                continue; // the caller itself (v2 membership): never
            }
            Fd fd;
            try {
                fd = Posix.openPidfd(pid);
            } catch (PosixException e) {
                if (e.errno() == Errno.ENOSYS && cgroup.contains(pid)) {
                    Posix.kill(pid, signal); // kernels before 5.3: a short race remains
                    n++;
                }
                continue; // ESRCH: gone meanwhile
            }
            try {
                if (cgroup.contains(pid)) {
                    Posix.pidfdSendSignal(fd, signal);
                    n++;
                }
            } catch (PosixException e) {
                LOG.debug("signalling pid {}: {}", pid, e.getMessage());
            } finally {
                fd.close();
            }
        }
        return n;
    }

    /** Waits until no task is charged to the cgroup any more (every process gone and reaped). */
    public boolean awaitEmpty(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (cgroup.current().orElse(0) > 0) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /**
     * Moves the caller back if it entered, then removes the cgroup. It must be empty: every process
     * that ran inside has exited (zombies being released are waited for a moment).
     *
     * @throws IOException naming the cgroup when it cannot be removed
     */
    @Override
    public void close() throws IOException {
        // An interrupt must not cut the clean-up short: keep it for the caller, retry meanwhile.
        boolean interrupted = Thread.interrupted();
        try {
            Membership m = membership;
            if (m != null) {
                m.close();
            }
            Path dir = cgroup.path();
            IOException last = null;
            for (int i = 0; i < 100 && Files.exists(dir); i++) {
                try {
                    Files.delete(dir);
                    LOG.debug("removed {}", dir);
                    return;
                } catch (IOException busy) {
                    last = busy; // EBUSY while the last tasks are released
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
            if (Files.exists(dir)) {
                throw new IOException("cannot remove the pids cgroup " + dir + " (" + cgroup.current().orElse(-1)
                        + " tasks still charged" + Optional.ofNullable(last).map(e -> ": " + e.getMessage()).orElse("") + ")");
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "pids sandbox " + cgroup.path();
    }
}
