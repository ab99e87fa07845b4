package dev.daemonkit.process;

import dev.daemonkit.posix.FileStat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Who holds a flock(2) lock on a file, found by looking, never by locking: /proc/locks says
 * whether the file is locked (and which process took the lock — possibly one that has exited
 * since, such as a launcher that handed the descriptor to its daemon), and each
 * /proc/PID/fdinfo/FD lists the locks held through that very descriptor. A process "holds" the
 * lock when one of its descriptors carries it.
 *
 * <p>Another user's /proc/PID/fdinfo is readable only by root; {@link Lock#verifiable()} says
 * whether the holders could be inspected.
 */
public final class FileLocks {
    private FileLocks() {
    }

    /**
     * What /proc/locks says about one file.
     *
     * @param locked   whether a FLOCK lock is held on it
     * @param lockerPid the pid /proc/locks records: the process that took the lock (may be gone)
     */
    public record LockEntry(boolean locked, OptionalInt lockerPid) {
    }

    /** Reads /proc/locks for a FLOCK lock (not a waiter) on the file. */
    public static LockEntry entry(FileStat file) {
        String key = file.lockKey();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/locks"), StandardCharsets.US_ASCII)) {
                OptionalInt pid = flockPid(line, key);
                if (pid.isPresent()) {
                    return new LockEntry(true, pid.getAsInt() > 0 ? pid : OptionalInt.empty());
                }
            }
        } catch (IOException e) {
            // no /proc/locks: the caller falls back to the holders' fdinfo
        }
        return new LockEntry(false, OptionalInt.empty());
    }

    /** Whether process {@code pid} holds a flock on the file through one of its descriptors. */
    public static boolean holds(int pid, FileStat file) {
        return holderFd(pid, file).isPresent();
    }

    /** The descriptor of {@code pid} that carries its flock on the file, if any. */
    public static OptionalInt holderFd(int pid, FileStat file) {
        String key = file.lockKey();
        Path fdinfo = Path.of("/proc", Integer.toString(pid), "fdinfo");
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(fdinfo)) {
            for (Path p : ds) {
                if (carriesLock(p, key)) {
                    return OptionalInt.of(Integer.parseInt(p.getFileName().toString()));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, or another user's process (EACCES)
        }
        return OptionalInt.empty();
    }

    /**
     * The file status flags (O_NONBLOCK...) of the descriptor through which {@code pid} holds its
     * flock on the file, read from the same fdinfo as the lock itself; empty when it holds none
     * (any more).
     */
    public static OptionalInt holderFlags(int pid, FileStat file) {
        String key = file.lockKey();
        Path fdinfo = Path.of("/proc", Integer.toString(pid), "fdinfo");
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(fdinfo)) {
            for (Path p : ds) {
                OptionalInt flags = lockFlags(p, key);
                if (flags.isPresent()) {
                    return flags;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, or another user's process (EACCES)
        }
        return OptionalInt.empty();
    }

    /**
     * The live processes holding a flock on the file. Checks {@code candidates} first (e.g. the
     * pid a pidfile names) and scans every process only when {@code all} is asked or no candidate
     * holds it.
     */
    public static Lock holders(FileStat file, Collection<Integer> candidates, boolean all) {
        Set<Integer> tried = new LinkedHashSet<>(candidates);
        Set<Integer> found = holdingAmong(tried, file);
        if (!all && !found.isEmpty()) {
            // The usual case: the pid the pidfile names holds the lock. Its fdinfo says so (the
            // kernel lists there only locks held through that descriptor), and /proc/locks, which
            // the kernel builds by walking every lock on the host (5 ms on a busy one), is not read.
            return new Lock(true, List.copyOf(found), true, OptionalInt.empty());
        }
        LockEntry e = entry(file);
        if (!e.locked()) {
            return new Lock(false, List.of(), true, OptionalInt.empty());
        }
        if (e.lockerPid().isPresent() && !tried.contains(e.lockerPid().getAsInt())) {
            found.addAll(holdingAmong(List.of(e.lockerPid().getAsInt()), file));
        }
        boolean verifiable = true;
        if (all || found.isEmpty()) {
            String key = file.lockKey();
            for (int pid : pids()) {
                if (found.contains(pid)) {
                    continue;
                }
                Boolean h = scanHolds(pid, file, key); // a zombie has no descriptors left
                if (h == null) {
                    verifiable = false;
                } else if (h) {
                    found.add(pid);
                }
            }
        }
        return new Lock(true, List.copyOf(found), verifiable, e.lockerPid());
    }

    /** Those of {@code pids} that are live and hold a flock on the file, in their order. */
    private static Set<Integer> holdingAmong(Collection<Integer> pids, FileStat file) {
        Set<Integer> holding = new LinkedHashSet<>();
        for (int pid : pids) {
            if (pid > 0 && ProcessTable.isLive(pid) && holds(pid, file)) {
                holding.add(pid);
            }
        }
        return holding;
    }

    /**
     * The lock on a file and its holders.
     *
     * @param locked     whether /proc/locks lists a FLOCK lock on the file
     * @param holders    live processes holding it through one of their descriptors
     * @param verifiable false when some processes' descriptors could not be inspected (another
     *                   user's, without root): holders may then be incomplete
     * @param lockerPid  the pid /proc/locks records as the locker (possibly exited since); empty
     *                   when /proc/locks was not read because a candidate was found holding the lock
     */
    public record Lock(boolean locked, List<Integer> holders, boolean verifiable, OptionalInt lockerPid) {
        /** The first holder, if any was found. */
        public Optional<Integer> anyHolder() {
            return holders.stream().findFirst();
        }
    }

    /** true/false, or null when the process's descriptors cannot be read (another user's). */
    private static Boolean scanHolds(int pid, FileStat file, String key) {
        Path fds = Path.of("/proc", Integer.toString(pid), "fd");
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(fds)) {
            for (Path fd : ds) {
                // stat through the magic link (one syscall) before reading fdinfo (three).
                Object ino;
                try {
                    ino = Files.getAttribute(fd, "unix:ino");
                } catch (IOException | RuntimeException e) {
                    continue;
                }
                if (ino instanceof Long l && l == file.inode()
                        && carriesLock(fds.resolveSibling("fdinfo").resolve(fd.getFileName()), key)) {
                    return true;
                }
            }
            return false;
        } catch (java.nio.file.AccessDeniedException e) {
            return null;
        } catch (IOException e) {
            return false; // exited meanwhile
        }
    }

    private static boolean carriesLock(Path fdinfo, String key) {
        return lockFlags(fdinfo, key).isPresent();
    }

    /** The "flags:" of an fdinfo file whose "lock:" lines include a FLOCK on {@code key}; else empty. */
    private static OptionalInt lockFlags(Path fdinfo, String key) {
        try {
            int flags = 0;
            boolean locked = false;
            for (String line : Files.readAllLines(fdinfo, StandardCharsets.US_ASCII)) {
                if (line.startsWith("flags:")) {
                    flags = Integer.parseInt(line.substring(6).trim(), 8);
                } else if (line.startsWith("lock:") && flockPid(line.substring(5), key).isPresent()) {
                    locked = true;
                }
            }
            return locked ? OptionalInt.of(flags) : OptionalInt.empty();
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty(); // closed or gone meanwhile
        }
    }

    /**
     * Parses one lock line ({@code 1: FLOCK  ADVISORY  WRITE 9818 fe:00:2146545 0 EOF}); returns the
     * recorded pid when it is a granted FLOCK lock on {@code key}, empty otherwise (waiters have
     * "->" in second place).
     */
    static OptionalInt flockPid(String line, String key) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 6 || !f[1].equals("FLOCK") || !f[5].equals(key)) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(f[4]));
        } catch (NumberFormatException e) {
            return OptionalInt.of(-1);
        }
    }

    /** Every pid in /proc, without reading anything about them. */
    private static List<Integer> pids() {
        List<Integer> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!n.isEmpty() && n.chars().allMatch(Character::isDigit)) {
                    out.add(Integer.parseInt(n));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return out;
    }
}
