package dev.daemonkit.bench;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.process.ChildProcess;
import dev.daemonkit.process.Redirect;
import dev.daemonkit.process.Spawn;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Create + reap one child that exits at once (/bin/true, or a bare _exit), by every means a JVM
 * has. Each invocation leaves nothing behind: every child is reaped before the next starts.
 * Stdio of every child is /dev/null, the same for all, so only the process creation differs.
 *
 * <p>{@code heapMiB} fills and touches that much heap first: fork() must copy the page tables of
 * the whole JVM, posix_spawn (vfork-style CLONE_VM) must not.
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms64m", "-Xmx6g"})
public class SpawnBenchmark {
    private static final List<String> TRUE = List.of("/bin/true");
    private static final File DEV_NULL = new File("/dev/null");

    /** MiB of touched heap held while measuring. */
    @Param({"0"})
    public int heapMiB;

    private byte[][] ballast;

    @Setup(Level.Trial)
    public void fillHeap() {
        int chunks = heapMiB / 16;
        ballast = new byte[chunks][];
        for (int i = 0; i < chunks; i++) {
            ballast[i] = new byte[16 << 20];
            for (int p = 0; p < ballast[i].length; p += 4096) {
                ballast[i][p] = 1; // touch every page, so it is mapped and in the page tables
            }
        }
    }

    @TearDown(Level.Trial)
    public void dropHeap() {
        ballast = null;
    }

    /** Counts raw-fork children that did not exit within the watchdog's limit. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class ForkWatchdog {
        /** Children killed by the watchdog: the forked JVM copy hung before it reached _exit. */
        public long hung;
        /** Raw forks done. */
        public long forks;
    }

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

    /** ProcessBuilder with -Djdk.lang.Process.launchMechanism=VFORK (deprecated, still honoured on Linux). */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms64m", "-Xmx6g",
            "-Djdk.lang.Process.launchMechanism=VFORK"})
    public int processBuilderVfork() throws Exception {
        return processBuilder();
    }

    /** clone(fn=_exit) + waitpid: the cost of a kernel process copy with no exec and no Java in the child. */
    @Benchmark
    public WaitStatus forkExitClone() throws PosixException {
        int pid = Posix.forkExit(0);
        return Posix.waitpid(pid, 0);
    }

    /**
     * Raw FFM fork() + child _exit + waitpid: what a JVM must not do in production. The child is a
     * copy of the JVM that runs Java code until _exit; if it hangs (a lock held by another thread
     * at fork time, a safepoint that never comes) the watchdog kills it after 2 s and counts it.
     */
    @Benchmark
    public WaitStatus rawForkWithWatchdog(ForkWatchdog w) throws PosixException {
        int pid = Posix.fork();
        if (pid == 0) {
            Posix.exitNow(0);
        }
        w.forks++;
        int pidfd = Posix.pidfdOpen(pid);
        try {
            if (!Posix.pollReadable(pidfd, Duration.ofSeconds(2))) {
                w.hung++;
                Posix.kill(pid, Signal.SIGKILL);
            }
        } finally {
            Posix.close(pidfd);
        }
        return Posix.waitpid(pid, 0);
    }
}
