package dev.daemonkit.daemon;

import dev.daemonkit.internal.libc.Abi;
import dev.daemonkit.internal.libc.Libc;
import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pidfile that is also a lock: whoever holds an exclusive flock(2) on it is the running daemon.
 * That makes stale pidfiles harmless (a crashed daemon's lock is released by the kernel), and two
 * concurrent starts cannot both win.
 *
 * <pre>{@code
 * try (Pidfile pf = Pidfile.acquire(Path.of("/run/myd.pid"))) {   // AlreadyRunningException if held
 *     pf.write(Posix.getpid());
 *     runServer();
 * }                                                                  // removed and unlocked
 * }</pre>
 *
 * <p>Rules: the file is opened with O_NOFOLLOW (a symlink is refused: someone could point it at
 * a file we would then truncate), must be owned by the effective user, and gets mode 0644 whatever
 * the umask. The lock lives on the open file description: a child that inherits {@link #fd()}
 * (without close-on-exec) keeps holding it after this process exits.
 */
public final class Pidfile implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Pidfile.class);

    private final Path path;
    private int fd;

    private Pidfile(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /** What a pidfile says, read without disturbing its holder. */
    public sealed interface State {
        /** No file at the path. */
        record Missing() implements State {
        }

        /** Locked by a live process; {@code pid} is empty while the holder has not written it yet. */
        record Running(OptionalLong pid) implements State {
        }

        /** The file exists but nobody holds its lock: the daemon died without cleaning up. */
        record Stale(OptionalLong pid) implements State {
        }

        /** The file cannot be used (a symlink, another owner, unreadable): the reason says why. */
        record Unusable(String reason) implements State {
        }
    }

    /**
     * Creates (or takes over a stale) pidfile and locks it. The pid is written separately with
     * {@link #write(long)}, once it is known.
     *
     * @throws AlreadyRunningException when a live process holds the lock
     * @throws PosixException          naming the path: missing or unwritable directory (ENOENT, EACCES),
     *                                 a symlink (ELOOP), a file owned by another user (EPERM)
     */
    public static Pidfile acquire(Path path) throws IOException {
        Path abs = path.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new PosixException("pidfile " + abs, Errno.ENOENT.number(), "directory " + dir + " does not exist");
        }
        if (Files.isSymbolicLink(abs)) {
            throw new PosixException("pidfile " + abs, Errno.ELOOP.number(), "is a symbolic link; refusing to follow it");
        }
        int fd;
        try {
            fd = Libc.open(abs.toString(), Abi.O_RDWR | Abi.O_CREAT | Abi.O_NOFOLLOW | Abi.O_CLOEXEC | Abi.O_NOCTTY, 0644);
        } catch (PosixException e) {
            if (e.errno() == Errno.ELOOP) {
                throw new PosixException("pidfile " + abs, Errno.ELOOP.number(), "is a symbolic link; refusing to follow it");
            }
            throw e;
        }
        try {
            int owner = (Integer) Files.getAttribute(abs, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (owner != Posix.geteuid()) {
                throw new PosixException("pidfile " + abs, Errno.EPERM.number(),
                        "is owned by uid " + owner + ", not by this user (uid " + Posix.geteuid() + ")");
            }
            if (!Posix.tryLockExclusive(fd)) {
                throw new AlreadyRunningException(abs, parsePid(readAll(fd)));
            }
            OptionalLong old = parsePid(readAll(fd));
            if (old.isPresent()) {
                LOG.info("taking over stale pidfile {} (pid {} no longer holds it)", abs, old.getAsLong());
            }
            Libc.fchmod(fd, 0644);
            Libc.ftruncate(fd, 0);
            return new Pidfile(abs, fd);
        } catch (IOException | RuntimeException e) {
            closeQuietly(fd);
            throw e;
        }
    }

    /**
     * Takes over a pidfile whose lock this process already holds through an inherited descriptor
     * (a launcher passed it): nothing is opened or locked again.
     */
    public static Pidfile adopt(int fd, Path path) {
        return new Pidfile(path.toAbsolutePath(), fd);
    }

    /**
     * Removes the file if nobody holds its lock (a stale pidfile), quietly.
     *
     * @return true if the file is gone afterwards
     */
    public static boolean removeIfStale(Path path) {
        Path abs = path.toAbsolutePath();
        if (Files.isSymbolicLink(abs) || !Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
            return !Files.exists(abs, LinkOption.NOFOLLOW_LINKS);
        }
        int fd;
        try {
            fd = Libc.open(abs.toString(), Abi.O_RDONLY | Abi.O_NOFOLLOW | Abi.O_CLOEXEC | Abi.O_NOCTTY, 0);
        } catch (PosixException e) {
            return e.errno() == Errno.ENOENT;
        }
        try {
            if (Posix.tryLockExclusive(fd)) {
                Libc.unlink(abs.toString());
                return true;
            }
            return false;
        } catch (PosixException e) {
            return e.errno() == Errno.ENOENT;
        } finally {
            closeQuietly(fd);
        }
    }

    /** Replaces the file's content with {@code pid} and a newline. */
    public void write(long pid) throws PosixException {
        byte[] text = (pid + "\n").getBytes(StandardCharsets.US_ASCII);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, text);
            Libc.ftruncate(fd, 0);
            long n = Libc.pwrite(fd, buf, text.length, 0);
            if (n != text.length) {
                throw new PosixException("pwrite(" + path + ")", Errno.EIO.number(), "short write");
            }
        }
    }

    /** The locked descriptor (close-on-exec); pass it to a child to hand the lock over. */
    public int fd() {
        return fd;
    }

    public Path path() {
        return path;
    }

    /**
     * Forgets the lock without removing the file: for a launcher that handed {@link #fd()} to the
     * daemon, which now holds the lock on its own.
     */
    public void detach() {
        closeQuietly(fd);
        fd = -1;
    }

    /** Removes the file (while still holding the lock, so no one can mistake it) and unlocks. */
    @Override
    public void close() {
        if (fd < 0) {
            return;
        }
        try {
            Libc.unlink(path.toString());
        } catch (PosixException e) {
            if (e.errno() != Errno.ENOENT) {
                LOG.warn("could not remove pidfile {}: {}", path, e.getMessage());
            }
        }
        closeQuietly(fd);
        fd = -1;
    }

    /** Reads the state of a pidfile without taking it over. */
    public static State inspect(Path path) {
        Path abs = path.toAbsolutePath();
        if (Files.isSymbolicLink(abs)) {
            return new State.Unusable(abs + " is a symbolic link");
        }
        if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
            return new State.Missing();
        }
        int fd;
        try {
            fd = Libc.open(abs.toString(), Abi.O_RDONLY | Abi.O_NOFOLLOW | Abi.O_CLOEXEC | Abi.O_NOCTTY, 0);
        } catch (PosixException e) {
            return e.errno() == Errno.ENOENT ? new State.Missing() : new State.Unusable(e.getMessage());
        }
        try {
            OptionalLong pid = parsePid(readAll(fd));
            // Probing with a non-blocking lock: if we get it, nobody held it. Released at once.
            return Posix.tryLockExclusive(fd) ? new State.Stale(pid) : new State.Running(pid);
        } catch (PosixException e) {
            return new State.Unusable(e.getMessage());
        } finally {
            closeQuietly(fd);
        }
    }

    private static String readAll(int fd) throws PosixException {
        StringBuilder sb = new StringBuilder();
        while (sb.length() < 64) {
            byte[] b = Posix.read(fd, 64);
            if (b.length == 0) {
                break;
            }
            sb.append(new String(b, StandardCharsets.US_ASCII));
        }
        return sb.toString();
    }

    private static OptionalLong parsePid(String text) {
        String t = text.trim();
        if (t.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            long pid = Long.parseLong(t);
            return pid > 0 ? OptionalLong.of(pid) : OptionalLong.empty();
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private static void closeQuietly(int fd) {
        if (fd >= 0) {
            try {
                Libc.close(fd);
            } catch (PosixException ignored) {
                // closing after another error: the first error matters
            }
        }
    }

    @Override
    public String toString() {
        return "Pidfile[" + path + (fd >= 0 ? ", locked" : ", released") + "]";
    }
}
