package dev.daemonkit.posix;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.daemonkit.internal.libc.Abi;
import dev.daemonkit.internal.libc.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * File calls on owned descriptors ({@link Fd}): open once, then ask the descriptor — never the
 * path again — what the file is, who owns it, and change it through the descriptor. That is what
 * makes a check and the action that follows it refer to the same file when the path is in a
 * directory someone else can write.
 *
 * <pre>{@code
 * try (Fd fd = PosixFiles.open(path, Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_NONBLOCK | Posix.O_CLOEXEC, 0)) {
 *     FileStat st = PosixFiles.fstat(fd);
 *     if (!st.isRegular()) throw new IOException(path + " is " + st.type().description());
 * }
 * }</pre>
 */
public final class PosixFiles {
    private PosixFiles() {
    }

    /** open(2); the result is owned by the caller. ELOOP with O_NOFOLLOW means the path is a symlink. */
    public static Fd open(Path path, int flags, int mode) throws PosixException {
        return Fd.adopt(Libc.open(path.toString(), flags, mode));
    }

    /**
     * Opens the file behind {@code fd} again, through /proc/self/fd: a new open file description
     * (its own offset, flags and flock) of the very same inode, without looking the path up again.
     */
    public static Fd reopen(Fd fd, int flags) throws PosixException {
        return Fd.adopt(Libc.open("/proc/self/fd/" + fd.number(), flags, 0));
    }

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

    private static FileStat stat(int dirfd, String path, int flags, String call) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(Abi.STATX_SIZE, 8);
            Libc.statx(dirfd, path, flags, Abi.STATX_BASIC_STATS, b, call);
            return new FileStat(Integer.toUnsignedLong(b.get(JAVA_INT, Abi.STATX_DEV_MAJOR_OFFSET)),
                    Integer.toUnsignedLong(b.get(JAVA_INT, Abi.STATX_DEV_MINOR_OFFSET)),
                    b.get(JAVA_LONG, Abi.STATX_INO_OFFSET),
                    Short.toUnsignedInt(b.get(JAVA_SHORT, Abi.STATX_MODE_OFFSET)),
                    Integer.toUnsignedLong(b.get(JAVA_INT, Abi.STATX_NLINK_OFFSET)),
                    b.get(JAVA_INT, Abi.STATX_UID_OFFSET), b.get(JAVA_INT, Abi.STATX_GID_OFFSET),
                    b.get(JAVA_LONG, Abi.STATX_SIZE_OFFSET));
        }
    }

    /** fchown(2): changes the owner of the open file, never of what the path points to by now. */
    public static void fchown(Fd fd, int uid, int gid) throws PosixException {
        Libc.fchown(fd.number(), uid, gid);
    }

    /** fchmod(2). */
    public static void fchmod(Fd fd, int mode) throws PosixException {
        Libc.fchmod(fd.number(), mode);
    }

    /** ftruncate(2). */
    public static void ftruncate(Fd fd, long length) throws PosixException {
        Libc.ftruncate(fd.number(), length);
    }

    /** Reads up to {@code max} bytes from the current offset; empty at end of file. */
    public static byte[] read(Fd fd, int max) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Math.max(1, max));
            long n = Libc.read(fd.number(), buf, max);
            return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** Writes all of {@code data} at {@code offset} without moving the file offset. */
    public static void pwrite(Fd fd, byte[] data, long offset) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocateFrom(ValueLayout.JAVA_BYTE, data);
            long done = 0;
            while (done < data.length) {
                done += Libc.pwrite(fd.number(), buf.asSlice(done), data.length - done, offset + done);
            }
        }
    }

    /**
     * flock(2) with LOCK_EX | LOCK_NB: true when the lock was taken, false when another open file
     * description holds it (EWOULDBLOCK).
     */
    public static boolean tryLockExclusive(Fd fd) throws PosixException {
        return Posix.tryLockExclusive(fd.number());
    }

    /** Sets or clears close-on-exec. */
    public static void setCloseOnExec(Fd fd, boolean on) throws PosixException {
        Posix.setCloseOnExec(fd.number(), on);
    }

    /** Sets or clears O_NONBLOCK on the open file description (fcntl F_GETFL/F_SETFL). */
    public static void setNonBlocking(Fd fd, boolean on) throws PosixException {
        int flags = Libc.fcntl(fd.number(), Abi.F_GETFL, 0);
        int want = on ? flags | Abi.O_NONBLOCK : flags & ~Abi.O_NONBLOCK;
        if (want != flags) {
            Libc.fcntl(fd.number(), Abi.F_SETFL, want);
        }
    }

    /** unlink(2). */
    public static void unlink(Path path) throws PosixException {
        Libc.unlink(path.toString());
    }
}
