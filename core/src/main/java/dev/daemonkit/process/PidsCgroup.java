package dev.daemonkit.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One cgroup of the hierarchy that has the {@code pids} controller: cgroup v1 (a hierarchy
 * mounted with {@code -o pids}, usually /sys/fs/cgroup/pids) or v2 (the unified hierarchy with
 * {@code pids} in its controllers). Reads its {@code pids.max}, {@code pids.current},
 * {@code pids.peak} and the "max" count of {@code pids.events}: how often a fork or thread
 * creation was refused because this cgroup was full.
 *
 * <pre>{@code
 * PidsCgroup.ofCurrentThread().ifPresent(cg -> cg.chain().forEach(c ->
 *         System.out.println(c.name() + " max " + c.max() + " current " + c.current())));
 * }</pre>
 *
 * <p>The root cgroup has no pids files (it cannot be limited): its {@link #max()} and
 * {@link #current()} are empty.
 */
public final class PidsCgroup {
    /** Which cgroup interface the hierarchy speaks. */
    public enum Version {
        V1, V2
    }

    private final Version version;
    private final Path mountPoint;
    private final String name;

    PidsCgroup(Version version, Path mountPoint, String name) {
        this.version = version;
        this.mountPoint = mountPoint;
        this.name = name.isEmpty() ? "/" : name;
    }

    /**
     * The pids cgroup of the calling thread (in cgroup v1 one thread can be in another cgroup than
     * the rest of its process), v1 first, then v2 if its root offers the pids controller.
     */
    public static Optional<PidsCgroup> ofCurrentThread() {
        return of(Path.of("/proc/thread-self/cgroup"));
    }

    /** The pids cgroup of a process (of its main thread), if it exists and has one. */
    public static Optional<PidsCgroup> ofProcess(long pid) {
        return of(Path.of("/proc/" + pid + "/cgroup"));
    }

    private static Optional<PidsCgroup> of(Path procCgroup) {
        try {
            return parse(KernelFiles.lines(procCgroup), KernelFiles.lines(Path.of("/proc/self/mountinfo")));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Finds the pids cgroup from the lines of /proc/PID/cgroup ({@code 8:pids:/a/b} for v1,
     * {@code 0::/a/b} for v2) and /proc/self/mountinfo (where each hierarchy is mounted).
     */
    static Optional<PidsCgroup> parse(List<String> cgroupLines, List<String> mountinfo) {
        for (String line : cgroupLines) {
            String[] f = line.split(":", 3);
            if (f.length == 3 && List.of(f[1].split(",")).contains("pids")) {
                for (Mount m : mounts(mountinfo)) {
                    if (m.fsType.equals("cgroup") && List.of(m.superOptions.split(",")).contains("pids")) {
                        Optional<PidsCgroup> cg = m.locate(Version.V1, f[2]);
                        if (cg.isPresent()) {
                            return cg;
                        }
                    }
                }
            }
        }
        for (String line : cgroupLines) {
            String[] f = line.split(":", 3);
            if (f.length == 3 && f[0].equals("0") && f[1].isEmpty()) {
                for (Mount m : mounts(mountinfo)) {
                    if (m.fsType.equals("cgroup2") && controllers(m.point).contains("pids")) {
                        Optional<PidsCgroup> cg = m.locate(Version.V2, f[2]);
                        if (cg.isPresent()) {
                            return cg;
                        }
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static List<String> controllers(Path dir) {
        try {
            return List.of(KernelFiles.read(dir.resolve("cgroup.controllers")).trim().split("\\s+"));
        } catch (IOException e) {
            return List.of();
        }
    }

    /** One line of mountinfo: root within the filesystem, mount point, type, super options. */
    private record Mount(String root, Path point, String fsType, String superOptions) {
        Optional<PidsCgroup> locate(Version v, String cgroupPath) {
            // A mount of a sub-tree (containers) shows cgroups below its root only.
            String rel;
            if (root.equals("/")) {
                rel = cgroupPath;
            } else if (cgroupPath.equals(root) || cgroupPath.startsWith(root + "/")) {
                rel = cgroupPath.substring(root.length());
            } else {
                return Optional.empty();
            }
            PidsCgroup cg = new PidsCgroup(v, point, rel);
            return Files.isDirectory(cg.path()) ? Optional.of(cg) : Optional.empty();
        }
    }

    private static List<Mount> mounts(List<String> mountinfo) {
        List<Mount> list = new ArrayList<>();
        for (String line : mountinfo) {
            // 36 25 0:31 / /sys/fs/cgroup/pids rw,relatime shared:15 - cgroup cgroup rw,pids
            int dash = line.indexOf(" - ");
            if (dash < 0) {
                continue;
            }
            String[] a = line.substring(0, dash).split(" ");
            String[] b = line.substring(dash + 3).split(" ");
            if (a.length >= 5 && b.length >= 3) {
                list.add(new Mount(unescape(a[3]), Path.of(unescape(a[4])), b[0], b[2]));
            }
        }
        return list;
    }

    /** mountinfo writes space, tab, newline and backslash as octal escapes (\040). */
    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7')) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    public Version version() {
        return version;
    }

    /** The cgroup's path inside its hierarchy, "/" for the root. */
    public String name() {
        return name;
    }

    /** Its directory in cgroupfs. */
    public Path path() {
        return name.equals("/") ? mountPoint : mountPoint.resolve(name.substring(1));
    }

    public boolean isRoot() {
        return name.equals("/");
    }

    /** The cgroup one level up, unless this is the root. */
    public Optional<PidsCgroup> parent() {
        if (isRoot()) {
            return Optional.empty();
        }
        int slash = name.lastIndexOf('/');
        return Optional.of(new PidsCgroup(version, mountPoint, slash == 0 ? "/" : name.substring(0, slash)));
    }

    /** A cgroup one level down (it need not exist). */
    public PidsCgroup child(String childName) {
        if (childName.isEmpty() || childName.contains("/") || childName.startsWith(".")) {
            throw new IllegalArgumentException("not a cgroup name: " + childName);
        }
        return new PidsCgroup(version, mountPoint, (isRoot() ? "" : name) + "/" + childName);
    }

    /** This cgroup, its parent, and so on up to the root: a fork is charged to every one. */
    public List<PidsCgroup> chain() {
        List<PidsCgroup> list = new ArrayList<>();
        for (Optional<PidsCgroup> c = Optional.of(this); c.isPresent(); c = c.get().parent()) {
            list.add(c.get());
        }
        return list;
    }

    /** pids.max; empty for "max" (no limit here) and for the root. */
    public OptionalLong max() {
        return KernelFiles.readLong(path().resolve("pids.max"));
    }

    /** pids.current: tasks (threads, processes, zombies) charged here and below; empty for the root. */
    public OptionalLong current() {
        return KernelFiles.readLong(path().resolve("pids.current"));
    }

    /** pids.peak (kernels from 6.1 on): the highest pids.current seen; empty where absent. */
    public OptionalLong peak() {
        return KernelFiles.readLong(path().resolve("pids.peak"));
    }

    /** How many forks and thread creations failed because this cgroup's pids.max was reached. */
    public long refused() {
        try {
            for (String line : KernelFiles.lines(path().resolve("pids.events"))) {
                String[] kv = line.trim().split("\\s+");
                if (kv.length == 2 && kv[0].equals("max")) {
                    return Long.parseLong(kv[1]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // no pids.events (the root): nothing refused here
        }
        return 0;
    }

    /** Pids of the processes in this cgroup (not below it). */
    public List<Integer> processes() throws IOException {
        return KernelFiles.lines(path().resolve("cgroup.procs")).stream()
                .map(String::trim).filter(s -> !s.isEmpty()).map(Integer::valueOf).toList();
    }

    /** Whether a process is in exactly this cgroup now (read from /proc/PID/cgroup). */
    public boolean contains(long pid) {
        return ofProcess(pid).map(this::equals).orElse(false);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PidsCgroup c && c.version == version && c.path().equals(path());
    }

    @Override
    public int hashCode() {
        return path().hashCode();
    }

    @Override
    public String toString() {
        return name + " (" + path() + ", cgroup " + version.name().toLowerCase(java.util.Locale.ROOT) + ")";
    }
}
