package dev.daemonkit.process;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a {@link ZombieExperiment} measured.
 *
 * @param fence        what limited the experiment
 * @param requested    zombies asked for
 * @param zombies      zombies created before the kernel refused
 * @param exact        whether that is exactly the room the fence left at the start ({@link Fence#room()})
 * @param chargedAtLimit tasks counted against the fence's limit when the kernel refused (all of
 *                     them when the limit itself was reached: see {@link #limitReached()})
 * @param refusal      the error that ended the accumulation and the limit behind it
 * @param createMs     wall time of the accumulation
 * @param curve        time to create one more child as zombies pile up
 * @param memory       kernel memory per zombie
 * @param reaped       zombies collected with waitpid afterwards
 * @param reapMs       time to collect them all
 * @param memoryBackKib SUnreclaim KiB still held per zombie after reaping (RCU frees lazily)
 * @param zombiesLeft  zombie children of this process after reaping (must be 0)
 * @param autoReap     the same with SIGCHLD ignored / SA_NOCLDWAIT: the kernel reaps at exit
 */
public record ZombieReport(Fence fence, int requested, int zombies, boolean exact, long chargedAtLimit, Refusal refusal, double createMs,
        List<CurvePoint> curve, MemoryCost memory, int reaped, double reapMs, double memoryBackKib, long zombiesLeft,
        List<AutoReap> autoReap) {

    /**
     * @param kind        "cgroup v1 pids.max", "cgroup v2 pids.max" or "RLIMIT_NPROC"
     * @param where       the cgroup directory, or the user whose tasks are counted
     * @param max         the limit set (pids.max, or RLIMIT_NPROC's soft limit)
     * @param tasksBefore tasks counted against it before the first zombie
     * @param threadOnly  cgroup v1: only the experiment's thread was inside, not the whole JVM
     */
    public record Fence(String kind, String where, long max, long tasksBefore, boolean threadOnly) {
        /** The zombies it leaves room for. */
        public long room() {
            return max - tasksBefore;
        }
    }

    /**
     * @param errno the errno of the refused clone (EAGAIN), or "none" if the code's own cap stopped it
     * @param call  the call that failed
     * @param limit which limit was exhausted, in words
     */
    public record Refusal(String errno, String call, String limit) {
    }

    /** Creating children {@code from} .. {@code from + count - 1}: µs per child. */
    public record CurvePoint(int from, int count, double meanUs, double p50Us, double p99Us, double maxUs, double elapsedMs) {
    }

    /** One slab cache that grew with the zombies: objects and KiB per zombie. */
    public record CacheCost(String cache, double objects, double kib) {
    }

    /** KiB per zombie; {@code source} says whether slabinfo (root) was readable. */
    public record MemoryCost(String source, double sunreclaimKib, double slabKib, double kernelStackKib,
            double pageTablesKib, List<CacheCost> caches, double cachesKib) {
    }

    /** Children created with the kernel reaping them at exit, and the zombies that stayed (0). */
    public record AutoReap(String disposition, int children, long zombiesLeft, int eagainRetries) {
    }

    /**
     * Whether the fence's own limit was full when the kernel refused. Under RLIMIT_NPROC the JVM's
     * threads count too, so a thread that came or went meanwhile makes {@link #exact()} false
     * while the limit was still reached exactly.
     */
    public boolean limitReached() {
        return chargedAtLimit == fence.max();
    }

    /** Readable lines for a terminal. */
    public List<String> describe() {
        List<String> l = new ArrayList<>();
        l.add(String.format(Locale.ROOT, "fence:       %s = %d at %s, %d task(s) inside before%s", fence.kind(), fence.max(),
                fence.where(), fence.tasksBefore(), fence.threadOnly() ? " (only the experiment's thread)" : ""));
        l.add(String.format(Locale.ROOT, "zombies:     %d of %d requested%s, in %.0f ms (%.0f/s)", zombies, requested,
                exact ? ", exactly the room the limit left" : ", not the room the limit left at the start (" + fence.room() + ")",
                createMs, zombies / Math.max(1e-9, createMs / 1000)));
        l.add(String.format(Locale.ROOT, "at the limit: %d of %d tasks counted (%d zombies + %d others)%s", chargedAtLimit,
                fence.max(), zombies, chargedAtLimit - zombies, limitReached() ? "" : ": the limit was NOT reached"));
        l.add("refused:     " + refusal.errno() + " from " + refusal.call() + ": " + refusal.limit());
        l.add(String.format(Locale.ROOT, "kernel mem:  %.2f KiB unreclaimable slab per zombie (Slab %.2f, KernelStack %.2f, "
                + "PageTables %.2f; %s)", memory.sunreclaimKib(), memory.slabKib(), memory.kernelStackKib(),
                memory.pageTablesKib(), memory.source()));
        if (!memory.caches().isEmpty()) {
            StringBuilder b = new StringBuilder();
            for (CacheCost c : memory.caches()) {
                b.append(b.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%s %.1f×%.2f KiB", c.cache(), c.objects(),
                        c.kib() / c.objects()));
            }
            l.add(String.format(Locale.ROOT, "slab caches: %.2f KiB per zombie: %s", memory.cachesKib(), b));
        }
        l.add(String.format(Locale.ROOT, "reaped:      %d in %.2f ms (%.2f µs each); zombies left: %d", reaped, reapMs,
                reapMs * 1000 / Math.max(1, reaped), zombiesLeft));
        l.add("creation time per child as zombies pile up:");
        l.add(String.format(Locale.ROOT, "  %13s %9s %9s %9s %9s %11s", "zombies", "mean µs", "p50 µs", "p99 µs", "max µs",
                "elapsed ms"));
        for (CurvePoint p : curve) {
            l.add(String.format(Locale.ROOT, "  %6d-%-6d %9.1f %9.1f %9.1f %9.1f %11.1f", p.from(), p.from() + p.count() - 1,
                    p.meanUs(), p.p50Us(), p.p99Us(), p.maxUs(), p.elapsedMs()));
        }
        for (AutoReap a : autoReap) {
            l.add(String.format(Locale.ROOT, "SIGCHLD %s: %d children, zombies left %d, EAGAIN retries %d",
                    a.disposition(), a.children(), a.zombiesLeft(), a.eagainRetries()));
        }
        return l;
    }

    /** Everything as one JSON object (bench/report.py reads it). */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("kind", fence.kind());
        f.put("where", fence.where());
        f.put("max", fence.max());
        f.put("tasks_before", fence.tasksBefore());
        f.put("thread_only", fence.threadOnly());
        f.put("room", fence.room());
        m.put("fence", f);
        m.put("requested", requested);
        m.put("zombies", zombies);
        m.put("exact", exact);
        m.put("charged_at_limit", chargedAtLimit);
        m.put("limit_reached", limitReached());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("errno", refusal.errno());
        r.put("call", refusal.call());
        r.put("limit", refusal.limit());
        m.put("refused", r);
        m.put("create_ms", createMs);
        m.put("creates_per_s", zombies / Math.max(1e-9, createMs / 1000));
        List<Object> c = new ArrayList<>();
        for (CurvePoint p : curve) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("zombies_before", p.from());
            e.put("count", p.count());
            e.put("mean_us", p.meanUs());
            e.put("p50_us", p.p50Us());
            e.put("p99_us", p.p99Us());
            e.put("max_us", p.maxUs());
            e.put("elapsed_ms", p.elapsedMs());
            c.add(e);
        }
        m.put("curve", c);
        Map<String, Object> mem = new LinkedHashMap<>();
        mem.put("source", memory.source());
        mem.put("sunreclaim_kib", memory.sunreclaimKib());
        mem.put("slab_kib", memory.slabKib());
        mem.put("kernel_stack_kib", memory.kernelStackKib());
        mem.put("page_tables_kib", memory.pageTablesKib());
        mem.put("caches_kib", memory.cachesKib());
        List<Object> caches = new ArrayList<>();
        for (CacheCost cc : memory.caches()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("cache", cc.cache());
            e.put("objects", cc.objects());
            e.put("kib", cc.kib());
            caches.add(e);
        }
        mem.put("caches", caches);
        mem.put("sunreclaim_kib_after_reap", memoryBackKib);
        m.put("kernel_memory_per_zombie", mem);
        m.put("reaped", reaped);
        m.put("reap_ms", reapMs);
        m.put("reap_us_per_zombie", reapMs * 1000 / Math.max(1, reaped));
        m.put("zombies_left", zombiesLeft);
        Map<String, Object> ar = new LinkedHashMap<>();
        for (AutoReap a : autoReap) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("children", a.children());
            e.put("zombies_left", a.zombiesLeft());
            e.put("eagain_retries", a.eagainRetries());
            ar.put(a.disposition(), e);
        }
        m.put("auto_reap", ar);
        return Json.write(m);
    }
}
