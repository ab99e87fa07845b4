package dev.daemonkit.process;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.SignalDisposition;
import dev.daemonkit.posix.WaitStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many zombies accumulate before the kernel refuses new processes, how long each creation
 * takes as they pile up, what each costs in kernel memory and how long reaping them takes — only
 * inside a limit of its own ({@link ZombieFence}: a pids cgroup, or RLIMIT_NPROC for a non-root
 * user) and below {@link #HARD_CAP} in code, and never more than the machine can spare
 * ({@link #safeMaximum()}).
 *
 * <pre>{@code
 * ZombieReport r = ZombieExperiment.of(10_000).run();
 * System.out.println(r.zombies() + " zombies, refused with " + r.refusal().errno());
 * }</pre>
 *
 * <p>Children are made with {@link Posix#forkExit(int)} (clone with fn = _exit: no Java code in
 * the child) and reaped by pid, never with waitpid(-1), so other children of the JVM are not
 * touched. Every zombie is reaped and the fence removed before {@link #run()} returns or throws,
 * also when the thread is interrupted; a JVM shutdown (Ctrl-C) stops the accumulation and waits
 * for the clean-up. With a v2 cgroup or RLIMIT_NPROC the whole JVM shares the limit, so a JVM
 * thread cannot start in the instant between the refusal and the reaping that follows.
 */
public final class ZombieExperiment {
    private static final Logger LOG = LoggerFactory.getLogger(ZombieExperiment.class);
    /** The second fence: never more children than this, whatever the limit says. */
    public static final int HARD_CAP = 32_768;
    /** Children beyond the room the fence leaves, to notice a fence that does not hold. */
    private static final int SLACK = 16;

    private final int zombies;
    private int autoReapChildren;
    private int curvePoints = 20;
    private volatile boolean stop;

    private ZombieExperiment(int zombies) {
        this.zombies = zombies;
    }

    /** An experiment that accumulates {@code zombies} zombies (checked against {@link #safeMaximum()} by run). */
    public static ZombieExperiment of(int zombies) {
        return new ZombieExperiment(zombies);
    }

    /**
     * After the accumulation, also create {@code children} children each with SIGCHLD set to
     * SIG_IGN and with SA_NOCLDWAIT (the kernel reaps at exit), and count the zombies left (0).
     * Changes SIGCHLD's disposition of the whole JVM meanwhile: only where no other child runs.
     */
    public ZombieExperiment autoReapChecks(int children) {
        this.autoReapChildren = children;
        return this;
    }

    /** How many points the creation-time curve has (default 20). */
    public ZombieExperiment curvePoints(int points) {
        this.curvePoints = Math.max(1, points);
        return this;
    }

    /** Pids kept free for the rest of the machine: 4096, or an eighth of pid_max if that is more. */
    public static long machineReserve(PidLimits l) {
        return Math.max(4096, l.pidMax() / 8);
    }

    /**
     * The most zombies this machine can spare now: at most {@link #HARD_CAP}, leaving
     * {@link #machineReserve} pids and threads free under pid_max and threads-max, and 64 tasks
     * under any pids.max above the caller (for the JVM's own threads).
     */
    public static int safeMaximum(PidLimits l) {
        long max = HARD_CAP;
        for (PidLimits.Limit limit : l.limits()) {
            boolean machine = limit.name().equals("pid_max") || limit.name().equals("threads-max");
            if (machine) {
                max = Math.min(max, limit.headroom() - machineReserve(l));
            } else if (limit.name().startsWith("pids.max")) {
                max = Math.min(max, limit.headroom() - 64);
            }
        }
        return (int) Math.max(0, max);
    }

    public static int safeMaximum() {
        return safeMaximum(PidLimits.read());
    }

    /**
     * Runs it on the calling thread (a platform thread).
     *
     * @throws IllegalArgumentException when the zombies asked for exceed {@link #safeMaximum()}
     * @throws PidsSandbox.Unavailable  when neither a pids cgroup nor RLIMIT_NPROC can fence it
     * @throws InterruptedException     when interrupted (after everything was reaped)
     */
    public ZombieReport run() throws IOException, InterruptedException {
        PidLimits limits = PidLimits.read();
        int safe = safeMaximum(limits);
        if (zombies < 1 || zombies > safe) {
            throw new IllegalArgumentException("zombies must be between 1 and " + safe + " here (pid_max "
                    + limits.pidMax() + ", threads-max " + limits.threadsMax() + ", " + limits.tasksNow() + " tasks now, "
                    + machineReserve(limits) + " kept free for the rest of the machine, hard cap " + HARD_CAP + "): " + zombies);
        }
        for (int i = 0; i < 256; i++) {
            Posix.waitpid(Posix.forkExit(0), 0); // link the downcalls and JIT the loop before timing it
        }
        CountDownLatch cleanedUp = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop = true;
            try {
                cleanedUp.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "daemonkit-zombies-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return fenced(limits);
        } finally {
            cleanedUp.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it has what it waited for
            }
        }
    }

    private ZombieReport fenced(PidLimits limits) throws IOException, InterruptedException {
        KernelMemory before = KernelMemory.read();
        ZombieFence fence = ZombieFence.open(zombies);
        ZombieReport.Fence described = fence.describe();
        int cap = (int) Math.min(HARD_CAP, Math.max(0, described.room()) + SLACK);
        int[] pids = new int[cap];
        long[] ns = new long[cap];
        int made = 0;
        try {
            ZombieReport.Refusal refusal = null;
            long charged = -1;
            long start = System.nanoTime();
            for (; made < cap; made++) {
                if (stop || Thread.currentThread().isInterrupted()) {
                    refusal = new ZombieReport.Refusal("none", "-", "stopped: interrupted or the JVM is exiting");
                    break;
                }
                if ((made & 1023) == 1023 && machineShort(limits)) {
                    refusal = new ZombieReport.Refusal("none", "-", "stopped: the machine is running short of pids");
                    break;
                }
                long t0 = System.nanoTime();
                try {
                    pids[made] = Posix.forkExit(0);
                } catch (PosixException e) {
                    charged = fence.charged();
                    String why = fence.explainRefusal();
                    refusal = new ZombieReport.Refusal(e.errnoName(), e.call(), why != null ? why : otherLimit());
                    break;
                }
                ns[made] = System.nanoTime() - t0;
            }
            double createMs = (System.nanoTime() - start) / 1e6;
            if (refusal == null) {
                refusal = new ZombieReport.Refusal("none", "-", "the hard cap in code (" + cap + " children) was reached first");
            }
            if (charged < 0) {
                charged = fence.charged();
            }
            Thread.sleep(100); // a vfork-style clone returns before the child has finished exiting
            KernelMemory atLimit = KernelMemory.read();
            long r0 = System.nanoTime();
            int reaped = reap(pids, made);
            double reapMs = (System.nanoTime() - r0) / 1e6;
            long left = ProcessTable.zombiesOf(Posix.getpid()).size();
            List<ZombieReport.AutoReap> auto = new ArrayList<>();
            if (autoReapChildren > 0 && !stop) {
                auto.add(autoReap(SignalDisposition.IGNORE, "SIG_IGN"));
                auto.add(autoReap(SignalDisposition.DEFAULT.withFlags(SignalDisposition.SA_NOCLDWAIT), "SA_NOCLDWAIT"));
            }
            Thread.sleep(200); // task structs are freed after an RCU grace period
            double back = KernelMemory.cost(before, KernelMemory.read(), made).sunreclaimKib();
            return new ZombieReport(described, zombies, made, made == described.room(), charged, refusal, createMs,
                    curve(ns, made), KernelMemory.cost(before, atLimit, made), reaped, reapMs, back, left, auto);
        } finally {
            reap(pids, made); // whatever is left after a failure or an interrupt
            fence.close();
            if (stop && !Thread.currentThread().isInterrupted()) {
                LOG.info("zombie experiment stopped early; every child was reaped and the fence removed");
            }
        }
    }

    /** Waits for every pid not yet collected (entries become 0 once reaped). */
    private static int reap(int[] pids, int count) {
        int n = 0;
        for (int i = 0; i < count; i++) {
            if (pids[i] <= 0) {
                continue;
            }
            try {
                WaitStatus s = Posix.waitpid(pids[i], 0);
                if (!(s instanceof WaitStatus.StillAlive)) {
                    n++;
                }
            } catch (PosixException e) {
                LOG.warn("waitpid({}): {}", pids[i], e.getMessage()); // ECHILD: someone else reaped it
            }
            pids[i] = 0;
        }
        return n;
    }

    /** Whether others on the machine have eaten into the reserve meanwhile (read every 1024 children). */
    private static boolean machineShort(PidLimits at) {
        long tasks = PidLimits.countTasks();
        long keep = machineReserve(at) / 2;
        return tasks < 0 || at.pidMax() - 1 - tasks < keep || at.threadsMax() - tasks < keep;
    }

    /** The fence did not refuse: name the limit that did, if one is exhausted. */
    private static String otherLimit() {
        PidLimits.Limit t = PidLimits.read().tightest();
        return t.headroom() == 0 ? t.name() + " reached (" + t.used() + " of " + t.limit() + ")"
                : "no limit found exhausted (a task was exiting, or memory ran short)";
    }

    private ZombieReport.AutoReap autoReap(SignalDisposition d, String label) throws IOException, InterruptedException {
        int[] kids = new int[Math.min(autoReapChildren, 2 * HARD_CAP)];
        int made = 0;
        int retries = 0;
        long left;
        SignalDisposition old = Posix.sigaction(Signal.SIGCHLD, d);
        try {
            while (made < kids.length && !stop) {
                try {
                    kids[made] = Posix.forkExit(0);
                    made++;
                } catch (PosixException e) {
                    if (e.errno() != Errno.EAGAIN || ++retries > 100_000) {
                        throw e;
                    }
                    Thread.onSpinWait(); // children still exiting hold their pids for a moment
                }
            }
        } finally {
            // Still under the disposition: let every child finish exiting, then count the zombies.
            left = settle(kids, made);
            Posix.sigaction(Signal.SIGCHLD, old);
            reapZombies(kids, made); // none expected; but none may stay behind either
        }
        return new ZombieReport.AutoReap(label, made, left, retries);
    }

    /** Waits (5 s at most) until each child is gone or a zombie of ours; returns the zombies. */
    private static long settle(int[] pids, int count) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        long zombies;
        do {
            zombies = 0;
            boolean running = false;
            for (int i = 0; i < count; i++) {
                char state = childState(pids[i]);
                if (state == 'Z') {
                    zombies++;
                } else if (state != 0) {
                    running = true;
                }
            }
            if (!running) {
                return zombies;
            }
            Thread.sleep(10);
        } while (System.nanoTime() < deadline);
        return zombies;
    }

    private static void reapZombies(int[] pids, int count) {
        for (int i = 0; i < count; i++) {
            if (childState(pids[i]) == 'Z') {
                try {
                    Posix.waitpid(pids[i], 0);
                } catch (PosixException e) {
                    LOG.debug("waitpid({}): {}", pids[i], e.getMessage());
                }
            }
        }
    }

    /** The state letter of a child of ours from /proc/PID/stat, or 0 if it is gone or not ours. */
    private static char childState(int pid) {
        return ProcessTable.brief(pid).filter(b -> b.ppid() == Posix.getpid()).map(ProcessTable.Brief::state).orElse((char) 0);
    }

    private List<ZombieReport.CurvePoint> curve(long[] ns, int count) {
        List<ZombieReport.CurvePoint> points = new ArrayList<>();
        int n = Math.min(curvePoints, count);
        double elapsed = 0;
        for (int k = 0; k < n; k++) {
            int from = (int) ((long) k * count / n);
            int to = (int) ((long) (k + 1) * count / n);
            long[] part = Arrays.copyOfRange(ns, from, to);
            Arrays.sort(part);
            double sum = 0;
            for (long v : part) {
                sum += v;
            }
            elapsed += sum / 1e6;
            points.add(new ZombieReport.CurvePoint(from, part.length, sum / part.length / 1000,
                    part[part.length / 2] / 1000.0, part[(int) Math.min(part.length - 1, Math.ceil(part.length * 0.99) - 1)] / 1000.0,
                    part[part.length - 1] / 1000.0, elapsed));
        }
        return points;
    }
}
