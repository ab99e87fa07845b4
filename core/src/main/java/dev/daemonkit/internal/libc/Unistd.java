package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;

/** {@code <unistd.h>}: processes, sessions, descriptors, ids. One holder class per function. */
public final class Unistd {
    private Unistd() {
    }

    /** {@code pid_t getpid(void)} */
    private static final class getpid {
        static final MemorySegment F = Native.symbol("getpid");
    }

    /** {@code pid_t getppid(void)} */
    private static final class getppid {
        static final MemorySegment F = Native.symbol("getppid");
    }

    /** {@code pid_t getsid(pid_t pid)} */
    private static final class getsid {
        static final MemorySegment F = Native.symbol("getsid");
    }

    /** {@code pid_t setsid(void)} */
    private static final class setsid {
        static final MemorySegment F = Native.symbol("setsid");
    }

    /** {@code pid_t getpgid(pid_t pid)} */
    private static final class getpgid {
        static final MemorySegment F = Native.symbol("getpgid");
    }

    /** {@code int setpgid(pid_t pid, pid_t pgid)} */
    private static final class setpgid {
        static final MemorySegment F = Native.symbol("setpgid");
    }

    /** {@code int chdir(const char *path)} */
    private static final class chdir {
        static final MemorySegment F = Native.symbol("chdir");
    }

    /** {@code int dup2(int oldfd, int newfd)} */
    private static final class dup2 {
        static final MemorySegment F = Native.symbol("dup2");
    }

    /** {@code int close(int fd)} */
    private static final class close {
        static final MemorySegment F = Native.symbol("close");
    }

    /** {@code int pipe2(int fds[2], int flags)} */
    private static final class pipe2 {
        static final MemorySegment F = Native.symbol("pipe2");
    }

    /** {@code ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t size)} */
    private static final class readlinkat {
        static final MemorySegment F = Native.symbol("readlinkat");
    }

    /** {@code ssize_t read(int fd, void *buf, size_t count)} */
    private static final class read {
        static final MemorySegment F = Native.symbol("read");
    }

    /** {@code ssize_t write(int fd, const void *buf, size_t count)} */
    private static final class write {
        static final MemorySegment F = Native.symbol("write");
    }

    /** {@code ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset)} */
    private static final class pwrite {
        static final MemorySegment F = Native.symbol("pwrite");
    }

    /** {@code int ftruncate(int fd, off_t length)} */
    private static final class ftruncate {
        static final MemorySegment F = Native.symbol("ftruncate");
    }

    /** {@code int unlink(const char *path)} */
    private static final class unlink {
        static final MemorySegment F = Native.symbol("unlink");
    }

    /** {@code int fchown(int fd, uid_t owner, gid_t group)} */
    private static final class fchown {
        static final MemorySegment F = Native.symbol("fchown");
    }

    public static int getpid() {
        try {
            return (int) Native.call(getpid.F, Native.capture());
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    public static int getppid() {
        try {
            return (int) Native.call(getppid.F, Native.capture());
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    public static int getsid(int pid) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((int) Native.call(getsid.F, c, pid), c, "getsid", pid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int setsid() throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((int) Native.call(setsid.F, c), c, "setsid");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int getpgid(int pid) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((int) Native.call(getpgid.F, c, pid), c, "getpgid", pid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void setpgid(int pid, int pgid) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            Native.check((int) Native.call(setpgid.F, c, pid, pgid), c, "setpgid", pid, pgid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void chdir(String path) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            Native.check((int) Native.call(chdir.F, c, Native.address(CString.of(a, path))), c, "chdir", path);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int dup2(int oldfd, int newfd) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((int) Native.call(dup2.F, c, oldfd, newfd), c, "dup2", oldfd, newfd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void close(int fd) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            Native.check((int) Native.call(close.F, c, fd), c, "close", fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** pipe2(2); returns {read end, write end}. */
    public static int[] pipe2(int flags) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(JAVA_INT, 2);
            Native.check((int) Native.call(pipe2.F, c, Native.address(fds), flags), c, "pipe2");
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** read(2) into native memory; returns the byte count, 0 at end of file. */
    public static long read(int fd, MemorySegment buf, long count) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check(Native.call(read.F, c, fd, Native.address(buf), count), c, "read", fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(buf);
        }
    }

    /** write(2) from native memory; returns the byte count written. */
    public static long write(int fd, MemorySegment buf, long count) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check(Native.call(write.F, c, fd, Native.address(buf), count), c, "write", fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(buf);
        }
    }

    /** pwrite(2): writes at an offset without moving the file position. */
    public static long pwrite(int fd, MemorySegment buf, long count, long offset) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check(Native.call(pwrite.F, c, fd, Native.address(buf), count, offset), c, "pwrite", fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(buf);
        }
    }

    public static void ftruncate(int fd, long length) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            Native.check((int) Native.call(ftruncate.F, c, fd, length), c, "ftruncate", fd, length);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * readlinkat(2) with an empty path: the target of the symbolic link that {@code fd} (opened
     * O_PATH | O_NOFOLLOW) is on — that very link, whatever has been renamed since.
     */
    public static byte[] readlinkOf(int fd) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(4096);
            long n = Native.check(Native.call(readlinkat.F, c, fd, Native.address(CString.of(a, "")), Native.address(buf),
                    4096), c, "readlinkat", fd);
            return buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void unlink(String path) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            Native.check((int) Native.call(unlink.F, c, Native.address(CString.of(a, path))), c, "unlink", path);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** fchown(2): changes the owner of the open file itself, never of whatever a path points to now. */
    public static void fchown(int fd, int uid, int gid) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            Native.check((int) Native.call(fchown.F, c, fd, uid, gid), c, "fchown", fd, uid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
