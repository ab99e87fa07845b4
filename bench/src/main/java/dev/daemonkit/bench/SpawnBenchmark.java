package dev.daemonkit.bench;

import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.process.ChildProcess;
import dev.daemonkit.process.Redirect;
import dev.daemonkit.process.Spawn;
import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;

/**
 * Create + reap one /bin/true: daemonkit's spawn against the JDK's ProcessBuilder. Each
 * invocation leaves nothing behind: every child is reaped before the next starts. Stdio of every
 * child is /dev/null, the same for all, so only the process creation differs.
 */
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms64m", "-Xmx6g"})
public class SpawnBenchmark extends HeapBallast {
    static final List<String> TRUE = List.of("/bin/true");
    private static final File DEV_NULL = new File("/dev/null");

    private static Spawn quiet(Spawn s) {
        return s.stdin(Redirect.NULL).stdout(Redirect.NULL).stderr(Redirect.NULL);
    }

    /** daemonkit's production path: posix_spawn, then the calling thread reaps via waitid(P_PIDFD). */
    @Benchmark
    public WaitStatus daemonkitSpawnWaitFor() throws Exception {
        try (ChildProcess c = quiet(Spawn.of(TRUE)).start()) {
            return c.waitFor();
        }
    }

    /** posix_spawn, reaped by daemonkit's shared reaper thread (pidfd poll), result via onExit(). */
    @Benchmark
    public WaitStatus daemonkitSpawnOnExit() throws Exception {
        try (ChildProcess c = quiet(Spawn.of(TRUE)).start()) {
            return c.onExit().get();
        }
    }

    private static int processBuilder() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(TRUE).redirectInput(DEV_NULL).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor();
    }

    /** The JDK default: ProcessBuilder.start() + waitFor() (posix_spawn of jspawnhelper on Linux). */
    @Benchmark
    public int processBuilderDefault() throws Exception {
        return processBuilder();
    }

    /** ProcessBuilder with -Djdk.lang.Process.launchMechanism=FORK. */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms64m", "-Xmx6g",
            "-Djdk.lang.Process.launchMechanism=FORK"})
    public int processBuilderFork() throws Exception {
        return processBuilder();
    }

    /**
     * ProcessBuilder with -Djdk.lang.Process.launchMechanism=VFORK (deprecated in JDK 25 and
     * announced for removal; while the JDK honours it, it is the JDK's fastest mode).
     */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms64m", "-Xmx6g",
            "-Djdk.lang.Process.launchMechanism=VFORK"})
    public int processBuilderVfork() throws Exception {
        return processBuilder();
    }
}
