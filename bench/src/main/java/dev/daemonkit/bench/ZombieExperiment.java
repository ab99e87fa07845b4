package dev.daemonkit.bench;

import dev.daemonkit.process.PidsSandbox;
import dev.daemonkit.process.ZombieReport;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * bench/run's zombie experiment: {@link dev.daemonkit.process.ZombieExperiment} (the library's,
 * also behind {@code daemonkit pids --zombies N}) with the result written as JSON for report.py.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -XX:-UseDynamicNumberOfCompilerThreads ... \
 *     -cp benchmarks.jar dev.daemonkit.bench.ZombieExperiment [--zombies N|max] [--out zombies.json]</pre>
 *
 * {@code --zombies max} asks for a pids.max of 32,768 (32,767 zombies and the experiment's
 * thread) or as many as the machine can spare (less a margin of 512), whichever is lower. Run it in a JVM of its own
 * with a fixed set of threads: under cgroup v2 or RLIMIT_NPROC the whole JVM shares the limit.
 * Exit status 3 when the two claims it checks do not hold (zombies = the room the limit left;
 * no zombie left after reaping or with SIGCHLD ignored).
 */
public final class ZombieExperiment {
    private ZombieExperiment() {
    }

    public static void main(String[] args) throws Exception {
        String zombies = "500";
        Path out = null;
        boolean skipWithoutSandbox = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--zombies" -> zombies = args[++i];
                case "--out" -> out = Path.of(args[++i]);
                case "--skip-without-sandbox" -> skipWithoutSandbox = true;
                default -> {
                    System.err.println("usage: ZombieExperiment [--zombies N|max] [--out FILE.json] [--skip-without-sandbox]");
                    System.exit(2);
                }
            }
        }
        int safe = dev.daemonkit.process.ZombieExperiment.safeMaximum();
        // "max": 512 below what the machine can spare now, as tasks come and go before run() checks again.
        int n = zombies.equals("max") ? Math.min(dev.daemonkit.process.ZombieExperiment.HARD_CAP - 1, safe - 512)
                : Integer.parseInt(zombies);
        System.err.println("ZombieExperiment: " + n + " zombies (this machine can spare " + safe + ")");
        ZombieReport r;
        try {
            r = dev.daemonkit.process.ZombieExperiment.of(n).autoReapChecks(2 * n).curvePoints(32).run();
        } catch (PidsSandbox.Unavailable e) {
            System.err.println("ZombieExperiment: " + e.getMessage());
            if (skipWithoutSandbox) {
                System.err.println("ZombieExperiment: skipped (--skip-without-sandbox)");
                return;
            }
            System.exit(1);
            return;
        }
        r.describe().forEach(System.out::println);
        if (out != null) {
            Files.writeString(out, r.toJson() + "\n");
        }
        boolean noneLeft = r.zombiesLeft() == 0 && r.autoReap().stream().allMatch(a -> a.zombiesLeft() == 0);
        if (!r.exact() || !noneLeft) {
            System.err.println("ZombieExperiment: " + (!r.exact() ? "zombies did not match the room the limit left; " : "")
                    + (!noneLeft ? "zombies were left" : ""));
            System.exit(3);
        }
    }
}
