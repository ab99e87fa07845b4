package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** {@code <unistd.h>}: processes, sessions, descriptors, ids. One holder class per function. */
public final class Unistd {
    private Unistd() {
    }

    private static final FunctionDescriptor INT_VOID = FunctionDescriptor.of(JAVA_INT);
    private static final FunctionDescriptor INT_INT = FunctionDescriptor.of(JAVA_INT, JAVA_INT);
    private static final FunctionDescriptor INT_INT_INT = FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT);
    private static final FunctionDescriptor INT_3INT = FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);

    private static final class getpid {
        static final MethodHandle H = Native.plain("getpid", INT_VOID);
    }

    private static final class getppid {
        static final MethodHandle H = Native.plain("getppid", INT_VOID);
    }

    private static final class getsid {
        static final MethodHandle H = Native.errnoSetting("getsid", INT_INT);
    }

    private static final class setsid {
        static final MethodHandle H = Native.errnoSetting("setsid", INT_VOID);
    }

    private static final class getpgid {
        static final MethodHandle H = Native.errnoSetting("getpgid", INT_INT);
    }

    private static final class setpgid {
        static final MethodHandle H = Native.errnoSetting("setpgid", INT_INT_INT);
    }

    private static final class chdir {
        static final MethodHandle H = Native.errnoSetting("chdir", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    private static final class dup2 {
        static final MethodHandle H = Native.errnoSetting("dup2", INT_INT_INT);
    }

    private static final class close {
        static final MethodHandle H = Native.errnoSetting("close", INT_INT);
    }

    private static final class pipe2 {
        static final MethodHandle H = Native.errnoSetting("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class read {
        static final MethodHandle H = Native.errnoSetting("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    }

    private static final class write {
        static final MethodHandle H = Native.errnoSetting("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    }

    private static final class pwrite {
        static final MethodHandle H = Native.errnoSetting("pwrite",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    }

    private static final class ftruncate {
        static final MethodHandle H = Native.errnoSetting("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    }

    private static final class unlink {
        static final MethodHandle H = Native.errnoSetting("unlink", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    private static final class fchown {
        static final MethodHandle H = Native.errnoSetting("fchown", INT_3INT);
    }

    public static int getpid() {
        try {
            return (int) getpid.H.invokeExact();
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    public static int getppid() {
        try {
            return (int) getppid.H.invokeExact();
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    public static int getsid(int pid) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((int) getsid.H.invokeExact(c, pid), c, "getsid", pid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int setsid() throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((int) setsid.H.invokeExact(c), c, "setsid");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int getpgid(int pid) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((int) getpgid.H.invokeExact(c, pid), c, "getpgid", pid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void setpgid(int pid, int pgid) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            Native.check((int) setpgid.H.invokeExact(c, pid, pgid), c, "setpgid", pid, pgid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void chdir(String path) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            Native.check((int) chdir.H.invokeExact(c, CString.of(a, path)), c, "chdir", path);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int dup2(int oldfd, int newfd) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((int) dup2.H.invokeExact(c, oldfd, newfd), c, "dup2", oldfd, newfd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void close(int fd) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            Native.check((int) close.H.invokeExact(c, fd), c, "close", fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** pipe2(2); returns {read end, write end}. */
    public static int[] pipe2(int flags) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(JAVA_INT, 2);
            Native.check((int) pipe2.H.invokeExact(c, fds, flags), c, "pipe2");
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** read(2) into native memory; returns the byte count, 0 at end of file. */
    public static long read(int fd, MemorySegment buf, long count) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((long) read.H.invokeExact(c, fd, buf, count), c, "read", fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** write(2) from native memory; returns the byte count written. */
    public static long write(int fd, MemorySegment buf, long count) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((long) write.H.invokeExact(c, fd, buf, count), c, "write", fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** pwrite(2): writes at an offset without moving the file position. */
    public static long pwrite(int fd, MemorySegment buf, long count, long offset) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            return Native.check((long) pwrite.H.invokeExact(c, fd, buf, count, offset), c, "pwrite", fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void ftruncate(int fd, long length) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            Native.check((int) ftruncate.H.invokeExact(c, fd, length), c, "ftruncate", fd, length);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void unlink(String path) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            Native.check((int) unlink.H.invokeExact(c, CString.of(a, path)), c, "unlink", path);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** fchown(2): changes the owner of the open file itself, never of whatever a path points to now. */
    public static void fchown(int fd, int uid, int gid) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            Native.check((int) fchown.H.invokeExact(c, fd, uid, gid), c, "fchown", fd, uid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
