package dev.daemonkit.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Runs the same task on several threads at once, for tests of concurrent callers. */
public final class Parallel {
    private Parallel() {
    }

    /** What thread number {@code t} (0-based) runs. */
    @FunctionalInterface
    public interface Task<T> {
        T run(int t) throws Exception;
    }

    /**
     * Starts {@code threads} threads, thread t running {@code task.run(t)}, and returns their
     * results in thread order; the first failure is rethrown (wrapped in an ExecutionException).
     */
    public static <T> List<T> run(int threads, Task<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int index = t;
                futures.add(pool.submit((Callable<T>) () -> task.run(index)));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
