package dev.daemonkit.bench;

import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.WaitStatus;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Create + reap one child that only exits (no exec): the cost of making a process at all, the
 * three ways a JVM can. Every child is reaped before the next.
 */
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms64m", "-Xmx6g"})
public class ForkBenchmark extends HeapBallast {

    /** Counts raw-fork children that did not exit within the watchdog's limit. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class ForkWatchdog {
        /** Children killed by the watchdog: the forked JVM copy hung before it reached _exit. */
        public long hung;
        /** Raw forks done. */
        public long forks;
    }

    /**
     * daemonkit's fork+reap path, {@code Posix.forkExit}: clone(CLONE_VM|CLONE_VFORK|CLONE_FILES|CLONE_FS|SIGCHLD)
     * with fn = libc's _exit, all signals blocked around it, then waitpid. No page table is copied.
     */
    @Benchmark
    public WaitStatus daemonkitForkExit() throws PosixException {
        int pid = Posix.forkExit(0);
        return Posix.waitpid(pid, 0);
    }

    /**
     * Baseline: the same clone(fn=_exit) without CLONE_VM, so the kernel copies the JVM's page
     * tables as fork() does. Slower, and slower the bigger the heap.
     */
    @Benchmark
    public WaitStatus cloneCopyingPageTables() throws PosixException {
        int pid = Posix.forkExitCopyingPageTables(0);
        return Posix.waitpid(pid, 0);
    }

    /**
     * Baseline, and what a JVM must not do: raw FFM fork() + child _exit + waitpid. The child is a
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
        try (Fd pidfd = Posix.openPidfd(pid)) {
            if (!Posix.pollReadable(pidfd, Duration.ofSeconds(2))) {
                w.hung++;
                Posix.pidfdSendSignal(pidfd, Signal.SIGKILL);
            }
        }
        return Posix.waitpid(pid, 0);
    }
}
