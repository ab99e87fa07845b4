package dev.daemonkit.daemon;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.FileStat;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.process.FileLocks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pidfile that is also a lock: the running daemon is the process holding an exclusive flock(2)
 * on it. A crashed daemon's lock is released by the kernel, so a stale pidfile is harmless, and
 * two concurrent starts cannot both win.
 *
 * <pre>{@code
 * try (Pidfile pf = Pidfile.acquire(Path.of("/run/myd.pid"))) {   // AlreadyRunningException if held
 *     pf.write(Posix.getpid());
 *     pf.sealWrites();
 *     runServer();
 * }                                                                  // removed and unlocked
 * }</pre>
 *
 * <p>Two open file descriptions of the one inode: a read-only one that carries the lock — the one
 * a daemon inherits — and a read-write one that only the starting side uses to write the pid and
 * then closes ({@link #sealWrites()}). A daemon that later drops to another user therefore holds
 * its lock without being able to rewrite the pid that root's {@code stop} reads.
 *
 * <p>Rules: O_NOFOLLOW (a symlink is refused: someone could point it at a file we would then
 * truncate); the file must be regular, owned by the effective user, have one link (a hard link to
 * another file is refused) and hold a pid or nothing (a config file given by mistake is never
 * truncated); mode 0644 whatever the umask. After locking, the locked inode must still be the
 * one at the path: a concurrent {@code stop} may have removed a stale file between our open and
 * our flock, and then we start over with a new file.
 */
public final class Pidfile implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Pidfile.class);
    private static final int OPEN_FLAGS = PosixFiles.O_NOFOLLOW | PosixFiles.O_NONBLOCK | PosixFiles.O_CLOEXEC | PosixFiles.O_NOCTTY;
    /** A looker (stop removing a stale file) holds the lock for microseconds; a daemon for its life. */
    private static final int LOCK_ATTEMPTS = 100;

    private final Path path;
    private final FileStat file;
    private final Fd lock;
    private Fd writer;
    private boolean handedOver;

    private Pidfile(Path path, FileStat file, Fd lock, Fd writer) {
        this.path = path;
        this.file = file;
        this.lock = lock;
        this.writer = writer;
    }

    /**
     * Creates (or takes over a stale) pidfile and locks it. The pid is written separately with
     * {@link #write(long)}, once it is known.
     *
     * @throws AlreadyRunningException when a live process holds the lock
     * @throws PidfileException        when the path is not a usable pidfile (symlink, not regular,
     *                                 another owner, hard links, content that is not a pid)
     * @throws PosixException          naming the path: missing or unwritable directory (ENOENT, EACCES)
     */
    public static Pidfile acquire(Path path) throws IOException {
        return acquire(path, false);
    }

    /**
     * {@link #acquire} for a launcher that will pass {@link #lockFd()} to the daemon it spawns and
     * then call {@link #handOver()}: until then the lock counts as transient, so a concurrent stop
     * waits for the daemon instead of signalling the launcher.
     */
    public static Pidfile acquireToHandOver(Path path) throws IOException {
        return acquire(path, true);
    }

    private static Pidfile acquire(Path path, boolean transientLock) throws IOException {
        // Its directory walked one component at a time: no link another user planted on the way.
        PathWalk.Dir dir;
        try {
            dir = PathWalk.parentOf(path);
        } catch (IOException e) {
            throw PidfileException.notAPidfile("pidfile " + path.toAbsolutePath() + ": " + e.getMessage());
        }
        Path abs = dir.resolve(path.toAbsolutePath().getFileName());
        for (int attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
            Pidfile p = tryAcquire(abs, transientLock, dir, attempt == LOCK_ATTEMPTS - 1);
            if (p != null) {
                return p;
            }
            sleep(10);
        }
        throw new IOException("could not lock pidfile " + abs + ": it kept changing or being probed for "
                + LOCK_ATTEMPTS * 10 + " ms");
    }

    /** One attempt; null when the file changed under us or a looker held the lock for a moment. */
    private static Pidfile tryAcquire(Path abs, boolean transientLock, PathWalk.Dir dir, boolean lastAttempt)
            throws IOException {
        boolean confirm = dir.othersCanChange();
        Fd writer;
        try {
            int flags = PosixFiles.O_RDWR | PosixFiles.O_CREAT | OPEN_FLAGS;
            // Where a directory on the way could be swapped: created inside the directory walked.
            writer = confirm ? HeldDirectory.open(dir, abs, flags, 0644) : PosixFiles.open(abs, flags, 0644);
        } catch (PosixException e) {
            throw openError(abs, e);
        }
        Fd lock = null;
        try {
            FileStat st = PosixFiles.fstat(writer);
            checkUsable(abs, st, writer);
            if (confirm) {
                PathWalk.confirm(writer, abs, "pidfile"); // before anything is changed through it
            }
            // O_NONBLOCK marks a launcher's lock as transient until handOver(): see isTransient.
            lock = PosixFiles.reopen(writer, PosixFiles.O_RDONLY | PosixFiles.O_CLOEXEC | PosixFiles.O_NOCTTY
                    | (transientLock ? PosixFiles.O_NONBLOCK : 0));
            if (!PosixFiles.tryLockExclusive(lock)) {
                FileLocks.Lock held = FileLocks.holders(st, List.of(), true);
                List<Integer> daemons = held.holders().stream().filter(pid -> !isTransient(pid, st)).toList();
                if (daemons.isEmpty() && lastAttempt) {
                    daemons = stillTransient(held.holders(), st); // see stillTransient: not a start any more
                }
                if (!daemons.isEmpty() || !held.verifiable()) {
                    // Unverifiable (another user's descriptors): the pid /proc/locks names, so the
                    // caller can still tell a stranger's lock from its daemon's.
                    throw new AlreadyRunningException(abs, !daemons.isEmpty() ? OptionalLong.of(oldest(daemons))
                            : held.lockerPid().isPresent() ? OptionalLong.of(held.lockerPid().getAsInt()) : OptionalLong.empty(),
                            !daemons.isEmpty());
                }
                return close(writer, lock); // a looker or a start in progress: try again in a moment
            }
            FileStat now;
            try {
                now = PosixFiles.lstat(abs);
            } catch (PosixException e) {
                return close(writer, lock); // removed as stale between our open and our flock
            }
            if (!now.sameFile(st) || PosixFiles.fstat(lock).links() == 0) {
                return close(writer, lock); // replaced meanwhile: the lock is on a file nobody finds
            }
            PidfileProbe.Content old = PidfileProbe.parse(PosixFiles.read(lock, PidfileProbe.MAX_SIZE + 1));
            if (old.pid().isPresent()) {
                LOG.info("taking over stale pidfile {} (pid {} no longer holds it)", abs, old.pid().getAsInt());
            }
            PosixFiles.fchmod(writer, 0644);
            PosixFiles.ftruncate(writer, 0);
            return new Pidfile(abs, st, lock, writer);
        } catch (IOException | RuntimeException e) {
            close(writer, lock);
            throw e;
        }
    }

    private static void checkUsable(Path abs, FileStat st, Fd fd) throws IOException {
        if (!st.isRegular()) {
            throw PidfileException.notAPidfile("pidfile " + abs + " is " + st.type().description());
        }
        if (st.uid() != Posix.geteuid()) {
            throw PidfileException.notAPidfile("pidfile " + abs + " is owned by uid " + st.uid() + ", not by this user (uid "
                    + Posix.geteuid() + "); remove it if it is stale");
        }
        if (st.links() > 1) {
            throw PidfileException.notAPidfile("pidfile " + abs + " has " + st.links() + " hard links: it is another file too");
        }
        if (st.size() > PidfileProbe.MAX_SIZE) {
            throw PidfileException.notAPidfile("pidfile " + abs + " is " + st.size() + " bytes: not a pidfile; refusing to overwrite it");
        }
        PidfileProbe.Content c = PidfileProbe.parse(PosixFiles.read(fd, PidfileProbe.MAX_SIZE + 1));
        if (c.isGarbage()) {
            throw PidfileException.notAPidfile("pidfile " + abs + " holds '" + c.text() + "', not a pid; refusing to overwrite it");
        }
    }

    private static IOException openError(Path abs, PosixException e) {
        return switch (e.errno()) {
            case ELOOP -> PidfileException.notAPidfile("pidfile " + abs + " is a symbolic link; refusing to follow it");
            case EISDIR -> PidfileException.notAPidfile("pidfile " + abs + " is a directory");
            case ENXIO -> PidfileException.notAPidfile("pidfile " + abs + " is a socket or device, not a pidfile");
            // Bad input like the checks' "not writable" (exit 2, nothing started), also where access(2)
            // said yes to root: a read-only or pseudo file system (/proc, /sys).
            case ENOENT -> java.nio.file.Files.isDirectory(abs.getParent())
                    ? PidfileException.notAPidfile("pidfile directory " + abs.getParent()
                            + " does not take new files (ENOENT: a pseudo file system?)")
                    : new PosixException("pidfile " + abs, Errno.ENOENT.number(), "directory " + abs.getParent()
                            + " does not exist");
            case EACCES, EPERM -> PidfileException.notAPidfile("pidfile directory " + abs.getParent()
                    + " is not writable (" + e.errno() + ": permission denied)");
            case EROFS -> PidfileException.notAPidfile("pidfile directory " + abs.getParent()
                    + " is not writable (EROFS: read-only file system)");
            case null, default -> e;
        };
    }

    /**
     * Takes over a pidfile whose lock this process holds through an inherited descriptor (a
     * launcher passed it as fd 4): nothing is opened or locked again, and nothing can be written.
     *
     * @throws PidfileException when the descriptor is not a lock on the file at {@code path}
     */
    public static Pidfile adopt(Fd lockFd, Path path) throws IOException {
        Path abs = path.toAbsolutePath();
        FileStat st = PosixFiles.fstat(lockFd);
        if (FileLocks.holderFd(Posix.getpid(), st).isEmpty()) {
            throw PidfileException.refused("inherited descriptor " + lockFd.number() + " holds no lock on " + abs);
        }
        return new Pidfile(abs, st, lockFd, null);
    }

    /** Replaces the file's content with {@code pid} and a newline. */
    public void write(long pid) throws IOException {
        if (writer == null) {
            throw new IllegalStateException("pidfile " + path + " is sealed (or adopted): its pid is written by the launcher");
        }
        PosixFiles.ftruncate(writer, 0);
        PosixFiles.pwrite(writer, (pid + "\n").getBytes(StandardCharsets.US_ASCII), 0);
    }

    /** Closes the read-write descriptor: from now on this process cannot change the pid. */
    public void sealWrites() {
        if (writer != null) {
            writer.close();
            writer = null;
        }
    }

    /** The read-only descriptor carrying the lock (close-on-exec); pass it to a child to hand the lock over. */
    public Fd lockFd() {
        return lock;
    }

    /** The locked file's identity (device and inode). */
    public FileStat file() {
        return file;
    }

    public Path path() {
        return path;
    }

    /**
     * Forgets the lock without removing the file: for a launcher that handed {@link #lockFd()} to
     * the daemon, which now holds the lock on its own.
     */
    public void detach() {
        sealWrites();
        lock.close();
        handedOver = false;
    }

    /**
     * Gives up this process's share of the lock once a child holds it through the inherited
     * descriptor: from now on the lock is the daemon's alone, so whoever looks for its holder
     * finds the daemon, not the launcher. Until then the lock counts as transient (a start in
     * progress), which a concurrent stop waits out instead of signalling the launcher. The pid
     * can still be written until {@link #detach()}. Write the child's pid before calling this.
     */
    public void handOver() throws PosixException {
        PosixFiles.setNonBlocking(lock, false); // shared with the child's copy: the daemon's lock is steady now
        lock.close();
        handedOver = true;
    }

    /**
     * Removes the file and unlocks — only our inode: while we hold the lock, by checking the path
     * still leads to it; after {@link #handOver()}, only once nobody holds the lock any more.
     */
    @Override
    public void close() {
        if (handedOver) {
            handedOver = false;
            sealWrites();
            removeIfStale(path, file);
            return;
        }
        if (!lock.isOpen()) {
            return;
        }
        try {
            unlinkIfStill(path, file);
        } catch (PosixException e) {
            if (e.errno() != Errno.ENOENT) {
                LOG.warn("could not remove pidfile {}: {}", path, e.getMessage());
            }
        }
        sealWrites();
        lock.close();
    }

    /**
     * Unlinks the pidfile if its name still leads to {@code expected}. Where another user could
     * swap a directory on the way for a link, the check and the unlink happen inside the directory
     * held open ({@link HeldDirectory}): by path, the unlink could hit a file of the same name in
     * the link's target between the two.
     */
    private static boolean unlinkIfStill(Path path, FileStat expected) throws PosixException {
        PathWalk.Dir walked;
        try {
            walked = PathWalk.parentOf(path);
        } catch (IOException e) {
            return false; // a link another user planted on the way now: not ours to unlink through
        }
        if (walked.othersCanChange()) {
            try (HeldDirectory dir = HeldDirectory.of(walked)) {
                Optional<Path> ours = dir.entryIfStill(path.getFileName().toString(), expected);
                if (ours.isEmpty()) {
                    return false;
                }
                PosixFiles.unlink(ours.get());
                return true;
            } catch (PosixException e) {
                throw e;
            } catch (IOException e) {
                return false; // the directory was swapped meanwhile: leave the name alone
            }
        }
        if (!PosixFiles.lstat(path).sameFile(expected)) {
            return false;
        }
        PosixFiles.unlink(path);
        return true;
    }

    /** How a removal of a stale pidfile ended. */
    enum Removal { REMOVED, GONE, BUSY, NOT_STALE }

    /**
     * Removes a stale pidfile: only the file {@code expected} (same device and inode), only while
     * nobody holds its lock (we hold it ourselves while unlinking, so no start can take it over in
     * between), only a regular file that holds a pid.
     */
    static Removal removeStale(Path path, FileStat expected) {
        try (Fd fd = PosixFiles.open(path, PosixFiles.O_RDONLY | OPEN_FLAGS, 0)) {
            FileStat st = PosixFiles.fstat(fd);
            if (!st.sameFile(expected)) {
                return Removal.GONE;
            }
            if (!st.isRegular() || st.size() > PidfileProbe.MAX_SIZE
                    || PidfileProbe.parse(PosixFiles.read(fd, PidfileProbe.MAX_SIZE + 1)).pid().isEmpty()) {
                return Removal.NOT_STALE;
            }
            if (!PosixFiles.tryLockExclusive(fd)) {
                return Removal.BUSY;
            }
            return unlinkIfStill(path, st) ? Removal.REMOVED : Removal.GONE;
        } catch (PosixException e) {
            return e.errno() == Errno.ENOENT ? Removal.GONE : Removal.NOT_STALE;
        }
    }

    /**
     * {@link #removeStale} until it is done, tolerating others doing the same at the same moment
     * (BUSY: another remover holds the lock for an instant). Returns whether this call removed it.
     */
    static boolean removeIfStale(Path pidfile, FileStat file) {
        for (int i = 0; i < 100; i++) {
            switch (removeStale(pidfile, file)) {
                case REMOVED -> {
                    LOG.debug("removed stale pidfile {}", pidfile); // the caller reports it, once
                    return true;
                }
                case GONE, NOT_STALE -> {
                    return false;
                }
                case BUSY -> sleep(10);
            }
        }
        return false;
    }

    /**
     * Whether {@code pid} holds the lock only for a moment: a stop removing a stale file, or a
     * start that has not spawned its daemon yet. Their lock descriptors are O_NONBLOCK; the one a
     * daemon keeps never is ({@link #handOver()} clears the flag on the description it shares with
     * the daemon). Lookers wait for a transient holder instead of taking it for the daemon.
     */
    static boolean isTransient(int pid, FileStat st) {
        var flags = FileLocks.holderFlags(pid, st);
        // No longer holding it counts as transient too: whoever looks again sees the truth.
        return flags.isEmpty() || (flags.getAsInt() & PosixFiles.O_NONBLOCK) != 0;
    }

    /**
     * Holders that still look transient after a start would long have handed its lock over (2 s:
     * a launcher does so right after its spawn): a daemon that set O_NONBLOCK on its own lock
     * descriptor (fd 4) — which would otherwise hide it from status, stop and start. They are the
     * holders all the same; those no longer holding the lock are left out.
     */
    static List<Integer> stillTransient(List<Integer> holders, FileStat st) {
        return holders.stream().filter(pid -> FileLocks.holderFlags(pid, st).isPresent()).toList();
    }

    /**
     * The daemon among several holders of its lock: not a child of another holder (a shell's
     * `sleep` inherits the descriptor too), the longest running of those; holders that are gone
     * by now are passed over.
     */
    static int oldest(List<Integer> pids) {
        List<dev.daemonkit.process.ProcessInfo> live = pids.stream().map(dev.daemonkit.process.ProcessTable::of)
                .flatMap(java.util.Optional::stream).filter(p -> !p.isZombie()).toList();
        if (live.isEmpty()) {
            return pids.stream().min(Integer::compare).orElseThrow();
        }
        java.util.Set<Integer> holders = new java.util.HashSet<>(pids);
        List<dev.daemonkit.process.ProcessInfo> tops = live.stream().filter(p -> !holders.contains(p.ppid())).toList();
        return (tops.isEmpty() ? live : tops).stream()
                .min(java.util.Comparator.comparing(dev.daemonkit.process.ProcessInfo::startTime)
                        .thenComparingInt(dev.daemonkit.process.ProcessInfo::pid))
                .orElseThrow().pid();
    }

    private static Pidfile close(Fd a, Fd b) {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        return null;
    }

    /** A short pause between looks at a pidfile; an interrupt ends it early and stays set. */
    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "Pidfile[" + path + (lock.isOpen() ? ", locked" : ", released") + "]";
    }
}
