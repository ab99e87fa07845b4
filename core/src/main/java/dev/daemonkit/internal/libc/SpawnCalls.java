package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * {@code <spawn.h>}: posix_spawn and its attribute and file-action objects. These functions
 * return the error number itself instead of setting errno.
 */
public final class SpawnCalls {
    private SpawnCalls() {
    }

    private static final FunctionDescriptor INT_ADDR = FunctionDescriptor.of(JAVA_INT, ADDRESS);
    private static final FunctionDescriptor INT_ADDR_ADDR = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);
    private static final FunctionDescriptor INT_ADDR_INT = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT);

    private static final class posix_spawn {
        static final MethodHandle H = Native.plain("posix_spawn",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    }

    private static final class attr_init {
        static final MethodHandle H = Native.plain("posix_spawnattr_init", INT_ADDR);
    }

    private static final class attr_destroy {
        static final MethodHandle H = Native.plain("posix_spawnattr_destroy", INT_ADDR);
    }

    private static final class attr_setflags {
        static final MethodHandle H = Native.plain("posix_spawnattr_setflags", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT));
    }

    private static final class attr_setsigmask {
        static final MethodHandle H = Native.plain("posix_spawnattr_setsigmask", INT_ADDR_ADDR);
    }

    private static final class attr_setsigdefault {
        static final MethodHandle H = Native.plain("posix_spawnattr_setsigdefault", INT_ADDR_ADDR);
    }

    private static final class attr_setpgroup {
        static final MethodHandle H = Native.plain("posix_spawnattr_setpgroup", INT_ADDR_INT);
    }

    private static final class fa_init {
        static final MethodHandle H = Native.plain("posix_spawn_file_actions_init", INT_ADDR);
    }

    private static final class fa_destroy {
        static final MethodHandle H = Native.plain("posix_spawn_file_actions_destroy", INT_ADDR);
    }

    private static final class fa_adddup2 {
        static final MethodHandle H = Native.plain("posix_spawn_file_actions_adddup2",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    }

    private static final class fa_addopen {
        static final MethodHandle H = Native.plain("posix_spawn_file_actions_addopen",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    }

    private static final class fa_addclose {
        static final MethodHandle H = Native.plain("posix_spawn_file_actions_addclose", INT_ADDR_INT);
    }

    private static final class fa_addchdir_np {
        static final MethodHandle H = Native.plain("posix_spawn_file_actions_addchdir_np", INT_ADDR_ADDR);
    }

    /** glibc 2.34+ only. */
    private static final class fa_addclosefrom_np {
        static final MethodHandle H = Native.optionalPlain("posix_spawn_file_actions_addclosefrom_np", INT_ADDR_INT)
                .orElse(null);
    }

    /**
     * posix_spawn(3). All arguments are native memory the caller owns.
     *
     * @param program the program as the caller named it, for the error message
     * @return the child's pid
     */
    public static int posix_spawn(String program, MemorySegment pathC, MemorySegment fileActions, MemorySegment attr,
            MemorySegment argv, MemorySegment envp, MemorySegment pidOut) throws PosixException {
        try {
            int r = (int) posix_spawn.H.invokeExact(pidOut, pathC, fileActions, attr, argv, envp);
            if (r != 0) {
                throw Native.error("posix_spawn(" + program + ")", r);
            }
            return pidOut.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static void call(MethodHandle h, MemorySegment obj, String call) throws PosixException {
        try {
            Native.checkCode((int) h.invokeExact(obj), call);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void posix_spawnattr_init(MemorySegment attr) throws PosixException {
        call(attr_init.H, attr, "posix_spawnattr_init()");
    }

    public static void posix_spawnattr_destroy(MemorySegment attr) throws PosixException {
        call(attr_destroy.H, attr, "posix_spawnattr_destroy()");
    }

    public static void posix_spawn_file_actions_init(MemorySegment fa) throws PosixException {
        call(fa_init.H, fa, "posix_spawn_file_actions_init()");
    }

    public static void posix_spawn_file_actions_destroy(MemorySegment fa) throws PosixException {
        call(fa_destroy.H, fa, "posix_spawn_file_actions_destroy()");
    }

    public static void posix_spawnattr_setflags(MemorySegment attr, short flags) throws PosixException {
        try {
            Native.checkCode((int) attr_setflags.H.invokeExact(attr, flags), "posix_spawnattr_setflags(" + flags + ")");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void posix_spawnattr_setsigmask(MemorySegment attr, MemorySegment sigset) throws PosixException {
        try {
            Native.checkCode((int) attr_setsigmask.H.invokeExact(attr, sigset), "posix_spawnattr_setsigmask()");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void posix_spawnattr_setsigdefault(MemorySegment attr, MemorySegment sigset) throws PosixException {
        try {
            Native.checkCode((int) attr_setsigdefault.H.invokeExact(attr, sigset), "posix_spawnattr_setsigdefault()");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void posix_spawnattr_setpgroup(MemorySegment attr, int pgroup) throws PosixException {
        try {
            Native.checkCode((int) attr_setpgroup.H.invokeExact(attr, pgroup), "posix_spawnattr_setpgroup(" + pgroup + ")");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void posix_spawn_file_actions_adddup2(MemorySegment fa, int fd, int newfd) throws PosixException {
        try {
            int r = (int) fa_adddup2.H.invokeExact(fa, fd, newfd);
            if (r != 0) {
                throw Native.error("posix_spawn_file_actions_adddup2(" + fd + ", " + newfd + ")", r);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void posix_spawn_file_actions_addopen(MemorySegment fa, int fd, MemorySegment path, String pathText,
            int oflag, int mode) throws PosixException {
        try {
            int r = (int) fa_addopen.H.invokeExact(fa, fd, path, oflag, mode);
            if (r != 0) {
                throw Native.error("posix_spawn_file_actions_addopen(" + fd + ", " + pathText + ")", r);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void posix_spawn_file_actions_addclose(MemorySegment fa, int fd) throws PosixException {
        try {
            int r = (int) fa_addclose.H.invokeExact(fa, fd);
            if (r != 0) {
                throw Native.error("posix_spawn_file_actions_addclose(" + fd + ")", r);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void posix_spawn_file_actions_addchdir_np(MemorySegment fa, MemorySegment dir, String dirText)
            throws PosixException {
        try {
            int r = (int) fa_addchdir_np.H.invokeExact(fa, dir);
            if (r != 0) {
                throw Native.error("posix_spawn_file_actions_addchdir_np(" + dirText + ")", r);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Whether glibc has posix_spawn_file_actions_addclosefrom_np (2.34+). */
    public static boolean hasAddClosefrom() {
        return fa_addclosefrom_np.H != null;
    }

    /** posix_spawn_file_actions_addclosefrom_np(3): the child closes every fd >= {@code from}. */
    public static void posix_spawn_file_actions_addclosefrom_np(MemorySegment fa, int from) throws PosixException {
        if (fa_addclosefrom_np.H == null) {
            throw new UnsupportedOperationException("glibc < 2.34 has no posix_spawn_file_actions_addclosefrom_np");
        }
        try {
            int r = (int) fa_addclosefrom_np.H.invokeExact(fa, from);
            if (r != 0) {
                throw Native.error("posix_spawn_file_actions_addclosefrom_np(" + from + ")", r);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
