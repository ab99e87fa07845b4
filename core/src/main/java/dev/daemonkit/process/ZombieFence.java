package dev.daemonkit.process;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.ProcessControl;
import java.io.IOException;
import java.util.Locale;

/**
 * The limit a zombie experiment runs inside, so that it can only exhaust a budget of its own:
 * a pids cgroup it creates (root, or a delegated cgroup), or else — for an unprivileged user —
 * RLIMIT_NPROC lowered in this process to the user's tasks plus the zombies wanted. Closing it
 * removes the cgroup or restores the old RLIMIT_NPROC.
 */
sealed interface ZombieFence extends AutoCloseable permits ZombieFence.Cgroup, ZombieFence.Nproc {

    /** The pids cgroup if one can be made, else RLIMIT_NPROC if the kernel applies it to us. */
    static ZombieFence open(int zombies) throws IOException {
        try {
            return Cgroup.open(zombies);
        } catch (PidsSandbox.Unavailable e) {
            int uid = Posix.getuid();
            if (PidLimits.nprocApplies(uid)) {
                return Nproc.open(zombies, uid);
            }
            throw new PidsSandbox.Unavailable(e.getMessage() + ". RLIMIT_NPROC cannot fence the experiment instead: "
                    + (uid == 0 ? "root is exempt from it" : "this process has CAP_SYS_RESOURCE or CAP_SYS_ADMIN"));
        }
    }

    /** What it is, its limit and what counted against it at the start. */
    ZombieReport.Fence describe();

    /** Tasks counted against the limit now (pids.current, or the user's tasks). */
    long charged();

    /** Whether this fence's limit is what refused the last fork, in words; null if it was not. */
    String explainRefusal();

    @Override
    void close() throws IOException;

    /** A pids cgroup with pids.max = the tasks inside + the zombies wanted. */
    final class Cgroup implements ZombieFence {
        private final PidsSandbox sandbox;
        private final long tasksBefore;
        private final boolean threadOnly;

        private Cgroup(PidsSandbox sandbox, long tasksBefore, boolean threadOnly) {
            this.sandbox = sandbox;
            this.tasksBefore = tasksBefore;
            this.threadOnly = threadOnly;
        }

        static Cgroup open(int zombies) throws IOException {
            // First a limit that already fences the caller alone (v1), then the exact one once we
            // know how many tasks came in with us (v2 moves the whole JVM).
            PidsSandbox sb = PidsSandbox.create("zombies", zombies + 1L);
            try {
                PidsSandbox.Membership m = sb.enter();
                long inside = sb.cgroup().current().orElse(1);
                sb.setMax(zombies + inside);
                return new Cgroup(sb, inside, m.threadOnly());
            } catch (IOException | RuntimeException e) {
                sb.close();
                throw e;
            }
        }

        @Override
        public ZombieReport.Fence describe() {
            return new ZombieReport.Fence("cgroup " + sandbox.cgroup().version().name().toLowerCase(Locale.ROOT)
                    + " pids.max", sandbox.cgroup().path().toString(), sandbox.max(), tasksBefore, threadOnly);
        }

        @Override
        public long charged() {
            return sandbox.cgroup().current().orElse(-1);
        }

        @Override
        public String explainRefusal() {
            long refused = sandbox.cgroup().refused();
            return refused == 0 ? null : "pids.max " + sandbox.max() + " of cgroup " + sandbox.cgroup().name()
                    + " reached (pids.events max " + refused + ")";
        }

        @Override
        public void close() throws IOException {
            sandbox.close();
        }
    }

    /** RLIMIT_NPROC's soft limit set to the user's tasks + the zombies wanted, restored on close. */
    final class Nproc implements ZombieFence {
        private final ProcessControl.RLimit old;
        private final int uid;
        private final long soft;
        private final long tasksBefore;
        private boolean closed;

        private Nproc(ProcessControl.RLimit old, int uid, long soft, long tasksBefore) {
            this.old = old;
            this.uid = uid;
            this.soft = soft;
            this.tasksBefore = tasksBefore;
        }

        static Nproc open(int zombies, int uid) throws IOException {
            ProcessControl.RLimit old = ProcessControl.getrlimit(ProcessControl.Resource.NPROC);
            long tasks = PidLimits.tasksOfUser(uid);
            if (tasks < 0) {
                throw new IOException("cannot count the tasks of uid " + uid + " in /proc");
            }
            long soft = tasks + zombies;
            if (old.hard() != ProcessControl.RLimit.INFINITY && soft > old.hard()) {
                throw new IllegalArgumentException("RLIMIT_NPROC's hard limit " + old.hard() + " leaves room for only "
                        + Math.max(0, old.hard() - tasks) + " more tasks of uid " + uid + " (it has " + tasks + ")");
            }
            ProcessControl.setrlimit(ProcessControl.Resource.NPROC, new ProcessControl.RLimit(soft, old.hard()));
            // Counted again under the new limit: a thread that came or went meanwhile shows here.
            return new Nproc(old, uid, soft, PidLimits.tasksOfUser(uid));
        }

        @Override
        public ZombieReport.Fence describe() {
            return new ZombieReport.Fence("RLIMIT_NPROC", "tasks of uid " + uid, soft, tasksBefore, false);
        }

        @Override
        public long charged() {
            return PidLimits.tasksOfUser(uid);
        }

        @Override
        public String explainRefusal() {
            long tasks = PidLimits.tasksOfUser(uid);
            return tasks < soft ? null : "RLIMIT_NPROC " + soft + " of uid " + uid + " reached (" + tasks + " tasks)";
        }

        @Override
        public void close() throws IOException {
            if (!closed) {
                ProcessControl.setrlimit(ProcessControl.Resource.NPROC, old);
                closed = true;
            }
        }
    }
}
