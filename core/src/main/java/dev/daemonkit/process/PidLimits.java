package dev.daemonkit.process;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.ProcessControl;
import dev.daemonkit.posix.PosixException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Every limit that makes process or thread creation fail with EAGAIN, as it applies to the
 * calling thread now: the kernel's pid_max and threads-max, the pids.max of each cgroup from the
 * caller's up to the root (a fork is charged to all of them), and RLIMIT_NPROC (tasks per real
 * user; root and holders of CAP_SYS_RESOURCE or CAP_SYS_ADMIN are exempt). {@link #tightest()}
 * says which of them allows the fewest further tasks.
 *
 * @param pidMax        /proc/sys/kernel/pid_max: pids are allocated below this, then wrap
 * @param threadsMax    /proc/sys/kernel/threads-max: tasks the kernel allows in all
 * @param tasksNow      tasks (processes + threads, zombies included) existing now (/proc/loadavg)
 * @param processesNow  processes visible in /proc now
 * @param nproc         the caller's RLIMIT_NPROC
 * @param uid           the caller's real user id, whose tasks RLIMIT_NPROC counts
 * @param userTasks     tasks of that user now (threads and zombies included)
 * @param nprocEnforced whether the kernel applies RLIMIT_NPROC to the caller (not root, no exempting capability)
 * @param cgroups       the caller's pids cgroup and its ancestors up to the root; empty without a pids controller
 */
public record PidLimits(long pidMax, long threadsMax, long tasksNow, long processesNow, ProcessControl.RLimit nproc, int uid,
        long userTasks, boolean nprocEnforced, List<CgroupLevel> cgroups) {

    /** CAP_SYS_ADMIN and CAP_SYS_RESOURCE: either exempts from RLIMIT_NPROC (kernel/fork.c). */
    private static final long NPROC_EXEMPT_CAPS = (1L << 21) | (1L << 24);

    /** One cgroup of the chain, as read now. Empty max: "max" (no limit), or the root. */
    public record CgroupLevel(String name, Path path, PidsCgroup.Version version, OptionalLong max,
            OptionalLong current, OptionalLong peak, long refused) {
        static CgroupLevel of(PidsCgroup c) {
            return new CgroupLevel(c.name(), c.path(), c.version(), c.max(), c.current(), c.peak(), c.refused());
        }
    }

    /** A finite limit: how many tasks it allows and how many count against it now. */
    public record Limit(String name, long limit, long used) {
        /** How many more tasks it allows. */
        public long headroom() {
            return Math.max(0, limit - used);
        }
    }

    /** Reads them all now, for the calling thread. */
    public static PidLimits read() {
        ProcessControl.RLimit nproc;
        try {
            nproc = ProcessControl.getrlimit(ProcessControl.Resource.NPROC);
        } catch (PosixException e) {
            nproc = new ProcessControl.RLimit(ProcessControl.RLimit.INFINITY, ProcessControl.RLimit.INFINITY);
        }
        int uid = Posix.getuid();
        List<CgroupLevel> chain = PidsCgroup.ofCurrentThread()
                .map(c -> c.chain().stream().map(CgroupLevel::of).toList()).orElse(List.of());
        return new PidLimits(KernelFiles.readLong(Path.of("/proc/sys/kernel/pid_max")).orElse(-1),
                KernelFiles.readLong(Path.of("/proc/sys/kernel/threads-max")).orElse(-1),
                countTasks(), ProcessTable.all().size(), nproc, uid, tasksOfUser(uid), nprocApplies(uid), chain);
    }

    /** The caller's pids cgroup directory, if there is a pids controller. */
    public static Optional<Path> pidsCgroup() {
        return PidsCgroup.ofCurrentThread().map(PidsCgroup::path);
    }

    /**
     * The finite limits, machine-wide first. pid_max allows pids 1 .. pid_max-1 (after a wrap the
     * kernel skips pids below 300, so near pid_max the headroom is a little smaller).
     */
    public List<Limit> limits() {
        List<Limit> l = new ArrayList<>();
        if (pidMax > 0) {
            l.add(new Limit("pid_max", pidMax - 1, tasksNow));
        }
        if (threadsMax > 0) {
            l.add(new Limit("threads-max", threadsMax, tasksNow));
        }
        for (CgroupLevel c : cgroups) {
            if (c.max().isPresent() && c.current().isPresent()) {
                l.add(new Limit("pids.max of cgroup " + c.name(), c.max().getAsLong(), c.current().getAsLong()));
            }
        }
        if (nprocEnforced && nproc.soft() != ProcessControl.RLimit.INFINITY) {
            l.add(new Limit("RLIMIT_NPROC of uid " + uid, nproc.soft(), userTasks));
        }
        return l;
    }

    /** The limit that allows the fewest further tasks. */
    public Limit tightest() {
        return limits().stream().min(Comparator.comparingLong(Limit::headroom))
                .orElse(new Limit("none known", Long.MAX_VALUE, 0));
    }

    /** How many more tasks the caller may create before some limit refuses. */
    public long headroom() {
        return tightest().headroom();
    }

    /** Whether RLIMIT_NPROC applies to this process: real uid not 0 and no CAP_SYS_ADMIN/CAP_SYS_RESOURCE. */
    static boolean nprocApplies(int uid) {
        if (uid == 0) {
            return false;
        }
        try {
            String cap = KernelFiles.statusField(KernelFiles.lines(Path.of("/proc/thread-self/status")), "CapEff");
            return cap == null || (Long.parseUnsignedLong(cap, 16) & NPROC_EXEMPT_CAPS) == 0;
        } catch (IOException | NumberFormatException e) {
            return true;
        }
    }

    /** Tasks (threads, zombies included) whose real uid is {@code uid}: what RLIMIT_NPROC counts. */
    public static long tasksOfUser(int uid) {
        long n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"), p -> isNumber(p.getFileName().toString()))) {
            for (Path p : ds) {
                try {
                    List<String> status = KernelFiles.lines(p.resolve("status"));
                    String uids = KernelFiles.statusField(status, "Uid");
                    String threads = KernelFiles.statusField(status, "Threads");
                    if (uids != null && Integer.parseInt(uids.split("\\s+")[0]) == uid) {
                        n += threads != null ? Long.parseLong(threads) : 1;
                    }
                } catch (IOException | RuntimeException gone) {
                    // exited meanwhile
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return n;
    }

    private static boolean isNumber(String s) {
        return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
    }

    /** Tasks on the machine now, or -1. */
    static long countTasks() {
        try {
            // /proc/loadavg: "0.00 0.01 0.05 1/88 6210": runnable/total tasks in the 4th field.
            String[] f = KernelFiles.read(Path.of("/proc/loadavg")).trim().split("\\s+");
            return Long.parseLong(f[3].substring(f[3].indexOf('/') + 1));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static String text(OptionalLong v, String none) {
        return v.isPresent() ? Long.toString(v.getAsLong()) : none;
    }

    /** Readable lines, as {@code daemonkit pids} and {@code daemonkit ps} print them. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "%-22s %s", "pid_max", pidMax + "   (pids are allocated below this, then wrap)"));
        lines.add(String.format(Locale.ROOT, "%-22s %s", "threads-max", threadsMax + "   (all tasks the kernel allows)"));
        lines.add(String.format(Locale.ROOT, "%-22s %s", "tasks now", tasksNow + "   (processes + threads, zombies included; "
                + processesNow + " processes)"));
        lines.add(String.format(Locale.ROOT, "%-22s %s", "RLIMIT_NPROC", "soft " + nproc.softText() + ", hard "
                + (nproc.hard() == ProcessControl.RLimit.INFINITY ? "unlimited" : nproc.hard()) + "   (uid " + uid + " has "
                + userTasks + " tasks; " + (nprocEnforced ? "enforced" : "not enforced: root or CAP_SYS_RESOURCE/CAP_SYS_ADMIN")
                + ")"));
        if (cgroups.isEmpty()) {
            lines.add(String.format(Locale.ROOT, "%-22s %s", "pids cgroup", "(no pids controller)"));
        }
        for (CgroupLevel c : cgroups) {
            lines.add(String.format(Locale.ROOT, "%-22s %s", "pids cgroup " + c.version().name().toLowerCase(Locale.ROOT),
                    c.name() + "   pids.max " + text(c.max(), c.name().equals("/") ? "- (root)" : "max")
                            + "   pids.current " + text(c.current(), "-")
                            + (c.refused() > 0 ? "   refused " + c.refused() : "") + "   " + c.path()));
        }
        Limit t = tightest();
        lines.add(String.format(Locale.ROOT, "%-22s %s", "headroom", t.headroom() + " more tasks, limited by " + t.name()));
        return lines;
    }

    /** The same as JSON: every value, every finite limit with its headroom, and the tightest. */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pid_max", pidMax);
        m.put("threads_max", threadsMax);
        m.put("tasks_now", tasksNow);
        m.put("processes_now", processesNow);
        Map<String, Object> rl = new LinkedHashMap<>();
        rl.put("soft", nproc.soft() == ProcessControl.RLimit.INFINITY ? null : nproc.soft());
        rl.put("hard", nproc.hard() == ProcessControl.RLimit.INFINITY ? null : nproc.hard());
        rl.put("uid", uid);
        rl.put("user_tasks", userTasks);
        rl.put("enforced", nprocEnforced);
        m.put("rlimit_nproc", rl);
        List<Object> cg = new ArrayList<>();
        for (CgroupLevel c : cgroups) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("cgroup", c.name());
            e.put("path", c.path().toString());
            e.put("version", c.version().name().toLowerCase(Locale.ROOT));
            e.put("pids_max", c.max());
            e.put("pids_current", c.current());
            e.put("pids_peak", c.peak());
            e.put("refused", c.refused());
            cg.add(e);
        }
        m.put("cgroups", cg);
        List<Object> ls = new ArrayList<>();
        for (Limit l : limits()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", l.name());
            e.put("limit", l.limit());
            e.put("in_use", l.used());
            e.put("headroom", l.headroom());
            ls.add(e);
        }
        m.put("limits", ls);
        Limit t = tightest();
        m.put("headroom", t.headroom());
        m.put("tightest", t.name());
        return Json.write(m);
    }
}
