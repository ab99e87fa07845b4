package dev.daemonkit.bench;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Holds {@code heapMiB} of touched heap while a benchmark measures: fork() must copy the page
 * tables of the whole JVM, a vfork-style clone (CLONE_VM) must not. The benchmarks extend it.
 */
@State(Scope.Benchmark)
public abstract class HeapBallast {
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
}
