package dev.daemonkit.bench;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.SignalDisposition;
import dev.daemonkit.posix.WaitStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * How many zombies accumulate before the system refuses new processes, what each costs, and how
 * SIGCHLD=SIG_IGN / SA_NOCLDWAIT prevent them — inside a pids cgroup of its own (see
 * {@link PidsSandbox}) and below a hard cap in code, always reaping everything at the end.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -XX:-UseDynamicNumberOfCompilerThreads ... \
 *     -cp benchmarks.jar dev.daemonkit.bench.ZombieExperiment [--limit 500] [--out zombies.json]</pre>
 *
 * Children are made with {@code Posix.forkExit} (clone with fn=_exit: no Java code in the child),
 * so only the kernel's work is measured. Run it in a JVM of its own: the JVM's threads count
 * against the limit too, and a JVM that starts a thread while the cgroup is full fails to.
 */
public final class ZombieExperiment {
    /** The second fence: never more children than this, whatever the limit says. */
    static final int HARD_CAP = 5000;

    private ZombieExperiment() {
    }

    public static void main(String[] args) throws Exception {
        int limit = 500;
        Path out = null;
        boolean skipWithoutSandbox = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--limit" -> limit = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--skip-without-sandbox" -> skipWithoutSandbox = true;
                default -> {
                    System.err.println("usage: ZombieExperiment [--limit N (<= " + HARD_CAP + ")] [--out FILE.json]"
                            + " [--skip-without-sandbox]");
                    System.exit(2);
                }
            }
        }
        if (limit < 50 || limit > HARD_CAP) {
            System.err.println("--limit must be 50.." + HARD_CAP);
            System.exit(2);
        }
        // Warm up the code paths outside the sandbox, so no JIT thread has to start inside it.
        for (int i = 0; i < 2000; i++) {
            Posix.waitpid(Posix.forkExit(0), 0);
        }
        String json;
        PidsSandbox sandbox;
        try {
            sandbox = PidsSandbox.create(limit);
        } catch (IOException e) {
            System.err.println("ZombieExperiment: " + e.getMessage());
            if (skipWithoutSandbox) {
                System.err.println("ZombieExperiment: skipped (--skip-without-sandbox)");
                return;
            }
            System.exit(1);
            return;
        }
        try (PidsSandbox sb = sandbox) {
            // Ctrl-C or kill: reap and remove the cgroup on the way out too. (At the very moment
            // the cgroup is full the JVM cannot start the hook's thread; the experiment stays at
            // the limit only for the instant between EAGAIN and the reaping that follows.)
            Thread hook = new Thread(() -> {
                reapAll();
                try {
                    sb.close();
                } catch (IOException e) {
                    System.err.println("ZombieExperiment: could not remove " + sb.path() + ": " + e.getMessage());
                }
            });
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                json = run(sb);
            } finally {
                reapAll();
                Runtime.getRuntime().removeShutdownHook(hook);
            }
        } catch (IOException e) {
            System.err.println("ZombieExperiment: " + e.getMessage());
            System.exit(1);
            return;
        }
        System.out.println(json);
        if (out != null) {
            Files.writeString(out, json + "\n");
        }
        // The two claims the experiment exists to check; a run that contradicts them fails.
        boolean exact = json.contains("\"exact\": true");
        boolean noneLeft = json.split("\"zombies_left\": 0,", -1).length - 1 == 2;
        if (!exact || !noneLeft) {
            System.err.println("ZombieExperiment: " + (!exact ? "zombies did not match the configured limit" : "")
                    + (!noneLeft ? " zombies were left with SIGCHLD ignored" : ""));
            System.exit(3);
        }
    }

    private static String run(PidsSandbox sb) throws Exception {
        long before = sb.current();
        long expected = sb.limit() - before;
        Map<String, Long> memBefore = meminfo();

        // 1. Accumulate: create children that exit at once and are not reaped.
        List<Long> createNs = new ArrayList<>();
        String refusal = "none (hard cap reached)";
        for (int i = 0; i < HARD_CAP; i++) {
            long t0 = System.nanoTime();
            try {
                Posix.forkExit(0);
            } catch (PosixException e) {
                refusal = e.errnoName() + " from " + e.call();
                break;
            }
            createNs.add(System.nanoTime() - t0);
        }
        int zombies = createNs.size();
        Thread.sleep(200); // let every child reach exit
        Map<String, Long> memAt = meminfo();
        long charged = sb.current();

        // 2. Reap them all.
        long r0 = System.nanoTime();
        int reaped = reapAll();
        long reapNs = System.nanoTime() - r0;

        // 3. The same with SIGCHLD ignored and with SA_NOCLDWAIT: the kernel reaps at exit.
        String ign = autoReap(sb, SignalDisposition.IGNORE, "SIG_IGN");
        String nocldwait = autoReap(sb, SignalDisposition.DEFAULT.withFlags(SignalDisposition.SA_NOCLDWAIT), "SA_NOCLDWAIT");

        StringBuilder buckets = new StringBuilder();
        int step = Math.max(1, zombies / 10);
        for (int from = 0; from < zombies; from += step) {
            int to = Math.min(zombies, from + step);
            long sum = 0;
            for (int i = from; i < to; i++) {
                sum += createNs.get(i);
            }
            buckets.append(buckets.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT,
                    "{\"zombies_before\": %d, \"create_us\": %.1f}", from, sum / 1000.0 / (to - from)));
        }
        long slab = memAt.getOrDefault("Slab", 0L) - memBefore.getOrDefault("Slab", 0L);
        long stack = memAt.getOrDefault("KernelStack", 0L) - memBefore.getOrDefault("KernelStack", 0L);
        return String.format(Locale.ROOT, """
                {"pids_max": %d, "tasks_in_sandbox_before": %d, "expected_zombies": %d, "zombies": %d, \
                "exact": %b, "refused_with": "%s", "charged_at_limit": %d, \
                "kernel_kib_per_zombie": {"slab": %.2f, "kernel_stack": %.2f}, \
                "reaped": %d, "reap_all_ms": %.2f, "reap_us_per_zombie": %.2f, \
                "create_by_zombies": [%s], %s, %s}""",
                sb.limit(), before, expected, zombies, zombies == expected, refusal, charged,
                (double) slab / Math.max(1, zombies), (double) stack / Math.max(1, zombies),
                reaped, reapNs / 1e6, reapNs / 1000.0 / Math.max(1, reaped), buckets, ign, nocldwait);
    }

    /** Twice the limit's worth of children with automatic reaping: none may be left as a zombie. */
    private static String autoReap(PidsSandbox sb, SignalDisposition d, String label) throws Exception {
        SignalDisposition old = Posix.sigaction(Signal.SIGCHLD, d);
        int made = 0;
        int retries = 0;
        try {
            long want = 2 * sb.limit();
            while (made < want && made < HARD_CAP) {
                try {
                    Posix.forkExit(0);
                    made++;
                } catch (PosixException e) {
                    if (e.errno() != Errno.EAGAIN || ++retries > 100_000) {
                        throw e;
                    }
                    Thread.onSpinWait(); // children still exiting hold their pids for a moment
                }
            }
            Thread.sleep(200);
        } finally {
            Posix.sigaction(Signal.SIGCHLD, old);
        }
        long zombies = zombieChildren();
        return String.format(Locale.ROOT, "\"%s\": {\"children\": %d, \"zombies_left\": %d, \"eagain_retries\": %d}",
                label, made, zombies, retries);
    }

    private static int reapAll() {
        int n = 0;
        while (true) {
            try {
                WaitStatus s = Posix.waitpid(-1, 0);
                if (s instanceof WaitStatus.StillAlive) {
                    return n;
                }
                n++;
            } catch (PosixException e) {
                return n; // ECHILD: none left
            }
        }
    }

    private static long zombieChildren() throws IOException {
        String me = Long.toString(ProcessHandle.current().pid());
        long n = 0;
        try (var dirs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) dirs::iterator) {
                if (!p.getFileName().toString().chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    if (f[0].equals("Z") && f[1].equals(me)) {
                        n++;
                    }
                } catch (IOException gone) {
                    // exited meanwhile
                }
            }
        }
        return n;
    }

    private static Map<String, Long> meminfo() throws IOException {
        Map<String, Long> m = new TreeMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            String[] kv = line.split(":\\s+");
            if (kv.length == 2) {
                m.put(kv[0], Long.parseLong(kv[1].replace(" kB", "").trim()));
            }
        }
        return m;
    }
}
