package dev.daemonkit.process;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Kernel memory counters at one moment: /proc/meminfo (Slab, SUnreclaim, KernelStack,
 * PageTables) and, when readable (root), /proc/slabinfo per cache. The difference between two
 * snapshots divided by the number of tasks created in between is what each task costs the
 * kernel — measured, not taken from struct sizes. Other activity on the machine adds noise,
 * so the deltas mean something only for thousands of tasks.
 *
 * @param meminfoKib /proc/meminfo fields in KiB
 * @param slabs      per slab cache: {active objects, object size in bytes}; empty if unreadable
 */
record KernelMemory(Map<String, Long> meminfoKib, Map<String, long[]> slabs) {

    static KernelMemory read() {
        Map<String, Long> mem = new TreeMap<>();
        try {
            for (String line : KernelFiles.lines(Path.of("/proc/meminfo"))) {
                String[] kv = line.split(":\\s+");
                if (kv.length == 2) {
                    mem.put(kv[0], Long.parseLong(kv[1].replace(" kB", "").trim()));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // leave it empty: the report says so
        }
        Map<String, long[]> slabs = new TreeMap<>();
        try {
            // "name <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables ..."
            for (String line : KernelFiles.lines(Path.of("/proc/slabinfo"))) {
                if (line.startsWith("#") || line.startsWith("slabinfo")) {
                    continue;
                }
                String[] f = line.trim().split("\\s+");
                if (f.length > 4) {
                    slabs.put(f[0], new long[] {Long.parseLong(f[1]), Long.parseLong(f[3])});
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not root: /proc/slabinfo is 0400
        }
        return new KernelMemory(mem, slabs);
    }

    /** What each of {@code tasks} tasks created between {@code before} and {@code after} cost. */
    static ZombieReport.MemoryCost cost(KernelMemory before, KernelMemory after, long tasks) {
        double n = Math.max(1, tasks);
        List<ZombieReport.CacheCost> caches = new ArrayList<>();
        for (Map.Entry<String, long[]> e : after.slabs.entrySet()) {
            long[] b = before.slabs.get(e.getKey());
            if (b == null) {
                continue;
            }
            double objects = (e.getValue()[0] - b[0]) / n;
            // Caches that grew by at least half an object per task: the task's own structures.
            if (objects >= 0.5) {
                caches.add(new ZombieReport.CacheCost(e.getKey(), objects, objects * e.getValue()[1] / 1024.0));
            }
        }
        caches.sort(Comparator.comparingDouble(ZombieReport.CacheCost::kib).reversed());
        return new ZombieReport.MemoryCost(after.slabs.isEmpty() ? "meminfo" : "meminfo+slabinfo",
                before.delta(after, "SUnreclaim") / n, before.delta(after, "Slab") / n,
                before.delta(after, "KernelStack") / n, before.delta(after, "PageTables") / n, caches,
                caches.stream().mapToDouble(ZombieReport.CacheCost::kib).sum());
    }

    private double delta(KernelMemory after, String field) {
        Long a = after.meminfoKib.get(field);
        Long b = meminfoKib.get(field);
        return a == null || b == null ? Double.NaN : a - b;
    }
}
