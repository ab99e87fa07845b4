package dev.daemonkit.posix;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.daemonkit.internal.libc.Abi;
import dev.daemonkit.internal.libc.Fcntl;
import dev.daemonkit.internal.libc.Stat;
import dev.daemonkit.internal.libc.Unistd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;

/**
 * File calls on owned descriptors ({@link Fd}): open once, then ask the descriptor — never the
 * path again — what the file is, who owns it, and change it through the descriptor. That is what
 * makes a check and the action that follows it refer to the same file when the path is in a
 * directory someone else can write.
 *
 * <pre>{@code
 * try (Fd fd = PosixFiles.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0)) {
 *     FileStat st = PosixFiles.fstat(fd);
 *     if (!st.isRegular()) throw new IOException(path + " is " + st.type().description());
 * }
 * }</pre>
 */
public final class PosixFiles {
    private PosixFiles() {
    }

    /** open(2) flags a caller may combine. */
    public static final int O_RDONLY = Abi.O_RDONLY;
    public static final int O_WRONLY = Abi.O_WRONLY;
    public static final int O_RDWR = Abi.O_RDWR;
    public static final int O_CREAT = Abi.O_CREAT;
    public static final int O_EXCL = Abi.O_EXCL;
    public static final int O_TRUNC = Abi.O_TRUNC;
    public static final int O_APPEND = Abi.O_APPEND;
    public static final int O_CLOEXEC = Abi.O_CLOEXEC;
    public static final int O_NOFOLLOW = Abi.O_NOFOLLOW;
    public static final int O_NOCTTY = Abi.O_NOCTTY;
    public static final int O_NONBLOCK = Abi.O_NONBLOCK;
    public static final int O_DIRECTORY = Abi.O_DIRECTORY;
    /** A handle on a place in the file system, not for reading (open(2)); its /proc/self/fd link can be walked through. */
    public static final int O_PATH = Abi.O_PATH;

    /** Both ends of a pipe, each owned. */
    public record Pipe(Fd readEnd, Fd writeEnd) implements AutoCloseable {
        @Override
        public void close() {
            readEnd.close();
            writeEnd.close();
        }
    }

    /** Code run by {@link #withUmask}; it may throw what it likes. */
    @FunctionalInterface
    public interface UmaskAction<T, E extends Exception> {
        T run() throws E;
    }

    /** The process umask is process-wide: everyone who swaps it swaps it under this one lock. */
    private static final ReentrantLock UMASK_LOCK = new ReentrantLock();

    // ------------------------------------------------------------ opening

    /** open(2); the result is owned by the caller. ELOOP with O_NOFOLLOW means the path is a symlink. */
    public static Fd open(Path path, int flags, int mode) throws PosixException {
        return Fd.adopt(Fcntl.open(path.toString(), flags, mode));
    }

    /**
     * Opens the file behind {@code fd} again, through /proc/self/fd: a new open file description
     * (its own offset, flags and flock) of the very same inode, without looking the path up again.
     */
    public static Fd reopen(Fd fd, int flags) throws PosixException {
        return Fd.adopt(Fcntl.open("/proc/self/fd/" + fd.number(), flags, 0));
    }

    /** A pipe whose ends are close-on-exec (pipe2 with O_CLOEXEC), so no child inherits them by accident. */
    public static Pipe pipe() throws PosixException {
        return pipe(false);
    }

    /** A close-on-exec pipe, both ends non-blocking if asked. */
    public static Pipe pipe(boolean nonBlocking) throws PosixException {
        int[] fds = Unistd.pipe2(Abi.O_CLOEXEC | (nonBlocking ? Abi.O_NONBLOCK : 0));
        return new Pipe(Fd.adopt(fds[0]), Fd.adopt(fds[1]));
    }

    /** dup2(2): makes descriptor number {@code target} refer to what {@code fd} refers to. */
    public static void dup2(Fd fd, int target) throws PosixException {
        Unistd.dup2(fd.number(), target);
    }

    /** fcntl(F_DUPFD_CLOEXEC): a close-on-exec duplicate numbered {@code minFd} or above. */
    public static Fd dupAbove(Fd fd, int minFd) throws PosixException {
        return Fd.adopt(Fcntl.fcntl(fd.number(), Abi.F_DUPFD_CLOEXEC, minFd));
    }

    // ------------------------------------------------------------ describing

    /** fstat(2) (through statx with AT_EMPTY_PATH, whose layout is the same on every architecture). */
    public static FileStat fstat(Fd fd) throws PosixException {
        return stat(fd.number(), "", Abi.AT_EMPTY_PATH, "fstat(" + fd.number() + ")");
    }

    /** lstat(2): the path itself, a final symlink not followed. ENOENT when nothing is there. */
    public static FileStat lstat(Path path) throws PosixException {
        return stat(Abi.AT_FDCWD, path.toString(), Abi.AT_SYMLINK_NOFOLLOW, "lstat(" + path + ")");
    }

    /** stat(2): the file a path leads to, symlinks followed. */
    public static FileStat stat(Path path) throws PosixException {
        return stat(Abi.AT_FDCWD, path.toString(), 0, "stat(" + path + ")");
    }

    /**
     * stat(2) of a path given as a string, which may carry bytes that are not UTF-8 (see
     * {@link ByteStrings}) and so cannot be a {@link Path}.
     */
    public static FileStat stat(String path) throws PosixException {
        return stat(Abi.AT_FDCWD, path, 0, "stat(" + path + ")");
    }

    private static FileStat stat(int dirfd, String path, int flags, String call) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(Abi.STATX_SIZE, 8);
            Stat.statx(dirfd, path, flags, Abi.STATX_BASIC_STATS, b, call);
            return new FileStat(Integer.toUnsignedLong(b.get(JAVA_INT, Abi.STATX_DEV_MAJOR_OFFSET)),
                    Integer.toUnsignedLong(b.get(JAVA_INT, Abi.STATX_DEV_MINOR_OFFSET)),
                    b.get(JAVA_LONG, Abi.STATX_INO_OFFSET),
                    Short.toUnsignedInt(b.get(JAVA_SHORT, Abi.STATX_MODE_OFFSET)),
                    Integer.toUnsignedLong(b.get(JAVA_INT, Abi.STATX_NLINK_OFFSET)),
                    b.get(JAVA_INT, Abi.STATX_UID_OFFSET), b.get(JAVA_INT, Abi.STATX_GID_OFFSET),
                    b.get(JAVA_LONG, Abi.STATX_SIZE_OFFSET));
        }
    }

    // ------------------------------------------------------------ changing

    /** fchown(2): changes the owner of the open file, never of what the path points to by now. */
    public static void fchown(Fd fd, int uid, int gid) throws PosixException {
        Unistd.fchown(fd.number(), uid, gid);
    }

    /** fchmod(2). */
    public static void fchmod(Fd fd, int mode) throws PosixException {
        Stat.fchmod(fd.number(), mode);
    }

    /** ftruncate(2). */
    public static void ftruncate(Fd fd, long length) throws PosixException {
        Unistd.ftruncate(fd.number(), length);
    }

    /** unlink(2). */
    public static void unlink(Path path) throws PosixException {
        Unistd.unlink(path.toString());
    }

    /** The target of the symbolic link {@code link} is open on (O_PATH | O_NOFOLLOW), as bytes: readlinkat(fd, ""). */
    public static byte[] readlink(Fd link) throws PosixException {
        return Unistd.readlinkOf(link.number());
    }

    // ------------------------------------------------------------ reading and writing

    /** Reads up to {@code max} bytes from the current offset; empty at end of file. */
    public static byte[] read(Fd fd, int max) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Math.max(1, max));
            long n = Unistd.read(fd.number(), buf, max);
            return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** read(2) into native memory the caller reuses; the byte count, 0 at end of file. */
    public static long read(Fd fd, MemorySegment buf, long count) throws PosixException {
        return Unistd.read(fd.number(), buf, count);
    }

    /** write(2) from native memory; the byte count written (possibly short). */
    public static long write(Fd fd, MemorySegment buf, long count) throws PosixException {
        return Unistd.write(fd.number(), buf, count);
    }

    /** Writes all of {@code data}, looping over short writes. */
    public static void write(Fd fd, byte[] data) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, buf, ValueLayout.JAVA_BYTE, 0, data.length);
            long done = 0;
            while (done < data.length) {
                done += Unistd.write(fd.number(), buf.asSlice(done), data.length - done);
            }
        }
    }

    /** Writes a UTF-8 string. */
    public static void write(Fd fd, String text) throws PosixException {
        write(fd, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes all of {@code data} at {@code offset} without moving the file offset. */
    public static void pwrite(Fd fd, byte[] data, long offset) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocateFrom(ValueLayout.JAVA_BYTE, data);
            long done = 0;
            while (done < data.length) {
                done += Unistd.pwrite(fd.number(), buf.asSlice(done), data.length - done, offset + done);
            }
        }
    }

    // ------------------------------------------------------------ descriptor flags and locks

    /**
     * flock(2) with LOCK_EX | LOCK_NB: true when the lock was taken, false when another open file
     * description holds it (EWOULDBLOCK).
     */
    public static boolean tryLockExclusive(Fd fd) throws PosixException {
        try {
            Fcntl.flock(fd.number(), Abi.LOCK_EX | Abi.LOCK_NB);
            return true;
        } catch (PosixException e) {
            if (e.errno() == Errno.EAGAIN) {
                return false;
            }
            throw e;
        }
    }

    /** Sets or clears FD_CLOEXEC on a descriptor. */
    public static void setCloseOnExec(Fd fd, boolean on) throws PosixException {
        int flags = Fcntl.fcntl(fd.number(), Abi.F_GETFD, 0);
        int want = on ? flags | Abi.FD_CLOEXEC : flags & ~Abi.FD_CLOEXEC;
        if (want != flags) {
            Fcntl.fcntl(fd.number(), Abi.F_SETFD, want);
        }
    }

    /** Whether FD_CLOEXEC is set (EBADF when the descriptor is not open). */
    public static boolean isCloseOnExec(Fd fd) throws PosixException {
        return (Fcntl.fcntl(fd.number(), Abi.F_GETFD, 0) & Abi.FD_CLOEXEC) != 0;
    }

    /** Sets or clears O_NONBLOCK on the open file description (fcntl F_GETFL/F_SETFL). */
    public static void setNonBlocking(Fd fd, boolean on) throws PosixException {
        int flags = Fcntl.fcntl(fd.number(), Abi.F_GETFL, 0);
        int want = on ? flags | Abi.O_NONBLOCK : flags & ~Abi.O_NONBLOCK;
        if (want != flags) {
            Fcntl.fcntl(fd.number(), Abi.F_SETFL, want);
        }
    }

    // ------------------------------------------------------------ process-wide file state

    /**
     * Runs {@code action} with the process umask set to {@code mask}, then restores it — under the
     * one lock every umask swap in daemonkit takes, so two swaps can never interleave and leave the
     * wrong mask behind. Files other threads create meanwhile get {@code mask} too.
     */
    public static <T, E extends Exception> T withUmask(int mask, UmaskAction<T, E> action) throws E {
        UMASK_LOCK.lock();
        int old = Stat.umask(mask);
        try {
            return action.run();
        } finally {
            Stat.umask(old);
            UMASK_LOCK.unlock();
        }
    }

    /** Sets the umask for good (daemon set-up); returns the previous one. */
    public static int umask(int mask) {
        UMASK_LOCK.lock();
        try {
            return Stat.umask(mask);
        } finally {
            UMASK_LOCK.unlock();
        }
    }

    /** Reads the umask (C has no getter: set and restore, under the lock). */
    public static int currentUmask() {
        UMASK_LOCK.lock();
        try {
            int old = Stat.umask(0022);
            Stat.umask(old);
            return old;
        } finally {
            UMASK_LOCK.unlock();
        }
    }

    /** Changes the working directory of the whole process (all threads): see chdir(2). */
    public static void chdir(Path path) throws PosixException {
        Unistd.chdir(path.toString());
    }
}
