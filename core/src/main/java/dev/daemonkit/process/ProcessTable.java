package dev.daemonkit.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Reads the process table from /proc: one process, the children of a process, all processes, or
 * the zombies with their parents. A process can vanish between listing and reading; such
 * processes are simply left out.
 *
 * <pre>{@code
 * for (ProcessTable.Zombie z : ProcessTable.zombies()) {
 *     System.out.println(z.zombie().pid() + " is a zombie of " + z.parent().map(ProcessInfo::commandText));
 * }
 * }</pre>
 */
public final class ProcessTable {
    private ProcessTable() {
    }

    /** Clock ticks per second for /proc/PID/stat times: 100 on every Linux target we support. */
    private static final long CLK_TCK = 100;

    private static volatile Instant bootTime;

    /** A zombie and, if it still exists, the parent that has not reaped it. */
    public record Zombie(ProcessInfo zombie, Optional<ProcessInfo> parent) {
    }

    /** The process with this pid, if it exists. */
    public static Optional<ProcessInfo> of(int pid) {
        Path dir = Path.of("/proc", Integer.toString(pid));
        try {
            String stat = Files.readString(dir.resolve("stat"), StandardCharsets.ISO_8859_1);
            return Optional.of(parse(pid, stat, dir));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Whether {@code pid} names a process that is alive now (a zombie is not). */
    public static boolean isLive(int pid) {
        return of(pid).filter(p -> !p.isZombie()).isPresent();
    }

    /**
     * Whether {@code pid} is a descendant of {@code ancestor} (not the ancestor itself), by the
     * parent chain in /proc. A zombie counts (its chain is intact until it is reaped); an orphan
     * re-parented to init or a subreaper no longer descends from its old ancestors.
     */
    public static boolean isDescendant(int pid, int ancestor) {
        int p = pid;
        for (int depth = 0; p > 1 && depth < 4096; depth++) {
            Optional<ProcessInfo> info = of(p);
            if (info.isEmpty()) {
                return false;
            }
            p = info.get().ppid();
            if (p == ancestor) {
                return true;
            }
        }
        return false;
    }

    /** Every process on the system, by pid. */
    public static List<ProcessInfo> all() {
        List<ProcessInfo> list = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!name.isEmpty() && name.chars().allMatch(Character::isDigit)) {
                    of(Integer.parseInt(name)).ifPresent(list::add);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        list.sort(Comparator.comparingInt(ProcessInfo::pid));
        return list;
    }

    /** The direct children of a process. */
    public static List<ProcessInfo> children(int pid) {
        return all().stream().filter(p -> p.ppid() == pid).toList();
    }

    /** Every zombie with its parent. */
    public static List<Zombie> zombies() {
        List<ProcessInfo> all = all();
        Map<Integer, ProcessInfo> byPid = all.stream().collect(Collectors.toMap(ProcessInfo::pid, Function.identity()));
        return all.stream().filter(ProcessInfo::isZombie)
                .map(z -> new Zombie(z, Optional.ofNullable(byPid.get(z.ppid())))).toList();
    }

    /** The zombies whose parent is {@code pid}. */
    public static List<ProcessInfo> zombiesOf(int pid) {
        return children(pid).stream().filter(ProcessInfo::isZombie).toList();
    }

    static ProcessInfo parse(int pid, String stat, Path dir) throws IOException {
        // comm is in parentheses and may itself contain spaces and parentheses: cut at the last ')'.
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        String comm = stat.substring(open + 1, close);
        String[] f = stat.substring(close + 2).trim().split(" ");
        // f[0] = state (field 3), f[1] = ppid, f[2] = pgrp, f[3] = session, f[4] = tty_nr, f[19] = starttime
        char state = f[0].charAt(0);
        int ppid = Integer.parseInt(f[1]);
        int pgid = Integer.parseInt(f[2]);
        int sid = Integer.parseInt(f[3]);
        int tty = Integer.parseInt(f[4]);
        long startTicks = Long.parseLong(f[19]);
        Instant start = bootTime().plusMillis(startTicks * 1000 / CLK_TCK);
        return new ProcessInfo(pid, ppid, pgid, sid, tty, state, start, readUid(dir), comm, readCmdline(dir));
    }

    private static int readUid(Path dir) {
        try {
            for (String line : Files.readAllLines(dir.resolve("status"), StandardCharsets.ISO_8859_1)) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // vanished or unreadable: report as unknown
        }
        return -1;
    }

    private static List<String> readCmdline(Path dir) {
        try {
            byte[] raw = Files.readAllBytes(dir.resolve("cmdline"));
            if (raw.length == 0) {
                return List.of();
            }
            String s = new String(raw, StandardCharsets.UTF_8);
            if (s.endsWith("\0")) {
                s = s.substring(0, s.length() - 1);
            }
            return List.of(s.split("\0", -1));
        } catch (IOException e) {
            return List.of();
        }
    }

    /** A process's state letter and parent: what loops that look often need, from one file. */
    record Brief(int pid, char state, int ppid) {
        boolean isZombie() {
            return state == 'Z';
        }
    }

    /**
     * {@link Brief} of {@code pid} from /proc/PID/stat alone (not the three files {@link #of}
     * reads), through java.io so that an interrupted thread can still look; empty once it is gone.
     */
    static Optional<Brief> brief(int pid) {
        try {
            String stat = KernelFiles.read(Path.of("/proc", Integer.toString(pid), "stat"));
            // comm may contain spaces and parentheses: the fields start after the last ')'.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 3);
            return Optional.of(new Brief(pid, f[0].charAt(0), Integer.parseInt(f[1])));
        } catch (IOException | RuntimeException gone) {
            return Optional.empty();
        }
    }

    /** The system's boot time from /proc/stat's btime line. */
    public static Instant bootTime() {
        Instant b = bootTime;
        if (b == null) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                    if (line.startsWith("btime ")) {
                        b = Instant.ofEpochSecond(Long.parseLong(line.substring(6).trim()));
                        break;
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read /proc/stat", e);
            }
            if (b == null) {
                throw new IllegalStateException("/proc/stat has no btime line");
            }
            bootTime = b;
        }
        return b;
    }
}
