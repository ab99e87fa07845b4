package dev.daemonkit.process;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The numbers that decide when process creation fails with EAGAIN: the kernel's pid_max and
 * threads-max, how many tasks exist now, the caller's RLIMIT_NPROC, and the pids limit of the
 * caller's cgroup (v1 {@code pids} controller or v2).
 *
 * @param pidMax          /proc/sys/kernel/pid_max: pids wrap around below this
 * @param threadsMax      /proc/sys/kernel/threads-max: tasks the kernel allows in all
 * @param tasksNow        tasks (processes + threads) existing now, from /proc/loadavg
 * @param processesNow    processes existing now (entries of /proc)
 * @param nproc           the caller's RLIMIT_NPROC (per real uid; root is exempt)
 * @param cgroupPath      the caller's pids cgroup, if any
 * @param cgroupPidsMax   its pids.max; empty for "max" (no limit) or no cgroup
 * @param cgroupPidsNow   its pids.current, if readable
 */
public record PidLimits(long pidMax, long threadsMax, long tasksNow, long processesNow, Posix.RLimit nproc,
        Optional<Path> cgroupPath, OptionalLong cgroupPidsMax, OptionalLong cgroupPidsNow) {

    /** Reads them all now. */
    public static PidLimits read() {
        Posix.RLimit nproc;
        try {
            nproc = Posix.getrlimit(Posix.Resource.NPROC);
        } catch (PosixException e) {
            nproc = new Posix.RLimit(Posix.RLimit.INFINITY, Posix.RLimit.INFINITY);
        }
        Optional<Path> cg = pidsCgroup();
        return new PidLimits(readLong(Path.of("/proc/sys/kernel/pid_max")).orElse(-1),
                readLong(Path.of("/proc/sys/kernel/threads-max")).orElse(-1),
                countTasks(), ProcessTable.all().size(), nproc, cg,
                cg.map(p -> readLong(p.resolve("pids.max"))).orElse(OptionalLong.empty()),
                cg.map(p -> readLong(p.resolve("pids.current"))).orElse(OptionalLong.empty()));
    }

    /** The directory of the caller's pids cgroup: v1 ({@code N:pids:/path}) first, then v2 ({@code 0::/path}). */
    public static Optional<Path> pidsCgroup() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/self/cgroup"));
            for (String line : lines) {
                String[] f = line.split(":", 3);
                if (f.length == 3 && List.of(f[1].split(",")).contains("pids")) {
                    Path p = Path.of("/sys/fs/cgroup/pids" + f[2]);
                    if (Files.isDirectory(p)) {
                        return Optional.of(p);
                    }
                }
            }
            for (String line : lines) {
                String[] f = line.split(":", 3);
                if (f.length == 3 && f[0].equals("0") && f[1].isEmpty()) {
                    for (String root : List.of("/sys/fs/cgroup", "/sys/fs/cgroup/unified")) {
                        Path p = Path.of(root + f[2]);
                        if (Files.exists(p.resolve("pids.max")) || Files.exists(p.resolve("pids.current"))) {
                            return Optional.of(p);
                        }
                    }
                }
            }
        } catch (IOException e) {
            // no cgroup information
        }
        return Optional.empty();
    }

    private static long countTasks() {
        try {
            // /proc/loadavg: "0.00 0.01 0.05 1/88 6210": runnable/total tasks in the 4th field.
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return Long.parseLong(f[3].substring(f[3].indexOf('/') + 1));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static OptionalLong readLong(Path p) {
        // Not Files.readString: on /proc/sys files (size 0) it returned only the first byte here.
        try (var in = Files.newInputStream(p)) {
            String s = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim();
            return s.equals("max") ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(s));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** A few readable lines, as {@code daemonkit ps --limits} prints them. */
    public List<String> describe() {
        return List.of(
                "pid_max            " + pidMax + "   (pids are allocated below this, then wrap)",
                "threads-max        " + threadsMax + "   (all tasks the kernel allows)",
                "tasks now          " + tasksNow + "   (processes + threads)",
                "processes now      " + processesNow,
                "RLIMIT_NPROC       " + nproc.softText() + "   (per real uid; root is exempt)",
                "pids cgroup        " + cgroupPath.map(Path::toString).orElse("(none)")
                        + "   pids.max " + (cgroupPidsMax.isPresent() ? Long.toString(cgroupPidsMax.getAsLong()) : "max")
                        + (cgroupPidsNow.isPresent() ? "   pids.current " + cgroupPidsNow.getAsLong() : ""));
    }
}
