package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;

/**
 * {@code <spawn.h>}: posix_spawn and its attribute and file-action objects. These functions
 * return the error number itself instead of setting errno.
 */
public final class SpawnCalls {
    private SpawnCalls() {
    }

    /**
     * {@code int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
     * const posix_spawnattr_t *attr, char *const argv[], char *const envp[])}
     */
    private static final class posix_spawn {
        static final MemorySegment F = Native.symbol("posix_spawn");
    }

    /** {@code int posix_spawnattr_init(posix_spawnattr_t *attr)} */
    private static final class attr_init {
        static final MemorySegment F = Native.symbol("posix_spawnattr_init");
    }

    /** {@code int posix_spawnattr_destroy(posix_spawnattr_t *attr)} */
    private static final class attr_destroy {
        static final MemorySegment F = Native.symbol("posix_spawnattr_destroy");
    }

    /** {@code int posix_spawnattr_setflags(posix_spawnattr_t *attr, short flags)} */
    private static final class attr_setflags {
        static final MemorySegment F = Native.symbol("posix_spawnattr_setflags");
    }

    /** {@code int posix_spawnattr_setsigmask(posix_spawnattr_t *attr, const sigset_t *mask)} */
    private static final class attr_setsigmask {
        static final MemorySegment F = Native.symbol("posix_spawnattr_setsigmask");
    }

    /** {@code int posix_spawnattr_setsigdefault(posix_spawnattr_t *attr, const sigset_t *set)} */
    private static final class attr_setsigdefault {
        static final MemorySegment F = Native.symbol("posix_spawnattr_setsigdefault");
    }

    /** {@code int posix_spawnattr_setpgroup(posix_spawnattr_t *attr, pid_t pgroup)} */
    private static final class attr_setpgroup {
        static final MemorySegment F = Native.symbol("posix_spawnattr_setpgroup");
    }

    /** {@code int posix_spawn_file_actions_init(posix_spawn_file_actions_t *fa)} */
    private static final class fa_init {
        static final MemorySegment F = Native.symbol("posix_spawn_file_actions_init");
    }

    /** {@code int posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *fa)} */
    private static final class fa_destroy {
        static final MemorySegment F = Native.symbol("posix_spawn_file_actions_destroy");
    }

    /** {@code int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *fa, int fd, int newfd)} */
    private static final class fa_adddup2 {
        static final MemorySegment F = Native.symbol("posix_spawn_file_actions_adddup2");
    }

    /**
     * {@code int posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *fa, int fd, const char *path,
     * int oflag, mode_t mode)}
     */
    private static final class fa_addopen {
        static final MemorySegment F = Native.symbol("posix_spawn_file_actions_addopen");
    }

    /** {@code int posix_spawn_file_actions_addclose(posix_spawn_file_actions_t *fa, int fd)} */
    private static final class fa_addclose {
        static final MemorySegment F = Native.symbol("posix_spawn_file_actions_addclose");
    }

    /** {@code int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *fa, const char *path)} */
    private static final class fa_addchdir_np {
        static final MemorySegment F = Native.symbol("posix_spawn_file_actions_addchdir_np");
    }

    /** {@code int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *fa, int from)}, glibc 2.34+ */
    private static final class fa_addclosefrom_np {
        static final MemorySegment F = Native.optionalSymbol("posix_spawn_file_actions_addclosefrom_np").orElse(null);
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
            int r = (int) Native.call(posix_spawn.F, Native.capture(), Native.address(pidOut), Native.address(pathC),
                    Native.address(fileActions), Native.address(attr), Native.address(argv), Native.address(envp));
            if (r != 0) {
                throw Native.error("posix_spawn(" + program + ")", r);
            }
            return pidOut.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(pathC);
            Reference.reachabilityFence(fileActions);
            Reference.reachabilityFence(attr);
            Reference.reachabilityFence(argv);
            Reference.reachabilityFence(envp);
            Reference.reachabilityFence(pidOut);
        }
    }

    private static void call(MemorySegment f, MemorySegment obj, String call) throws PosixException {
        try {
            Native.checkCode((int) Native.call(f, Native.capture(), Native.address(obj)), call);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(obj);
        }
    }

    public static void posix_spawnattr_init(MemorySegment attr) throws PosixException {
        call(attr_init.F, attr, "posix_spawnattr_init()");
    }

    public static void posix_spawnattr_destroy(MemorySegment attr) throws PosixException {
        call(attr_destroy.F, attr, "posix_spawnattr_destroy()");
    }

    public static void posix_spawn_file_actions_init(MemorySegment fa) throws PosixException {
        call(fa_init.F, fa, "posix_spawn_file_actions_init()");
    }

    public static void posix_spawn_file_actions_destroy(MemorySegment fa) throws PosixException {
        call(fa_destroy.F, fa, "posix_spawn_file_actions_destroy()");
    }

    public static void posix_spawnattr_setflags(MemorySegment attr, short flags) throws PosixException {
        try {
            Native.checkCode((int) Native.call(attr_setflags.F, Native.capture(), Native.address(attr), flags),
                    "posix_spawnattr_setflags(" + flags + ")");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(attr);
        }
    }

    public static void posix_spawnattr_setsigmask(MemorySegment attr, MemorySegment sigset) throws PosixException {
        try {
            Native.checkCode((int) Native.call(attr_setsigmask.F, Native.capture(), Native.address(attr),
                    Native.address(sigset)), "posix_spawnattr_setsigmask()");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(attr);
            Reference.reachabilityFence(sigset);
        }
    }

    public static void posix_spawnattr_setsigdefault(MemorySegment attr, MemorySegment sigset) throws PosixException {
        try {
            Native.checkCode((int) Native.call(attr_setsigdefault.F, Native.capture(), Native.address(attr),
                    Native.address(sigset)), "posix_spawnattr_setsigdefault()");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(attr);
            Reference.reachabilityFence(sigset);
        }
    }

    public static void posix_spawnattr_setpgroup(MemorySegment attr, int pgroup) throws PosixException {
        try {
            Native.checkCode((int) Native.call(attr_setpgroup.F, Native.capture(), Native.address(attr), pgroup),
                    "posix_spawnattr_setpgroup(" + pgroup + ")");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(attr);
        }
    }

    public static void posix_spawn_file_actions_adddup2(MemorySegment fa, int fd, int newfd) throws PosixException {
        try {
            int r = (int) Native.call(fa_adddup2.F, Native.capture(), Native.address(fa), fd, newfd);
            if (r != 0) {
                throw Native.error("posix_spawn_file_actions_adddup2(" + fd + ", " + newfd + ")", r);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(fa);
        }
    }

    public static void posix_spawn_file_actions_addopen(MemorySegment fa, int fd, MemorySegment path, String pathText,
            int oflag, int mode) throws PosixException {
        try {
            int r = (int) Native.call(fa_addopen.F, Native.capture(), Native.address(fa), fd, Native.address(path),
                    oflag, mode);
            if (r != 0) {
                throw Native.error("posix_spawn_file_actions_addopen(" + fd + ", " + pathText + ")", r);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(fa);
            Reference.reachabilityFence(path);
        }
    }

    public static void posix_spawn_file_actions_addclose(MemorySegment fa, int fd) throws PosixException {
        try {
            int r = (int) Native.call(fa_addclose.F, Native.capture(), Native.address(fa), fd);
            if (r != 0) {
                throw Native.error("posix_spawn_file_actions_addclose(" + fd + ")", r);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(fa);
        }
    }

    public static void posix_spawn_file_actions_addchdir_np(MemorySegment fa, MemorySegment dir, String dirText)
            throws PosixException {
        try {
            int r = (int) Native.call(fa_addchdir_np.F, Native.capture(), Native.address(fa), Native.address(dir));
            if (r != 0) {
                throw Native.error("posix_spawn_file_actions_addchdir_np(" + dirText + ")", r);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(fa);
            Reference.reachabilityFence(dir);
        }
    }

    /** Whether glibc has posix_spawn_file_actions_addclosefrom_np (2.34+). */
    public static boolean hasAddClosefrom() {
        return fa_addclosefrom_np.F != null;
    }

    /** posix_spawn_file_actions_addclosefrom_np(3): the child closes every fd >= {@code from}. */
    public static void posix_spawn_file_actions_addclosefrom_np(MemorySegment fa, int from) throws PosixException {
        if (fa_addclosefrom_np.F == null) {
            throw new UnsupportedOperationException("glibc < 2.34 has no posix_spawn_file_actions_addclosefrom_np");
        }
        try {
            int r = (int) Native.call(fa_addclosefrom_np.F, Native.capture(), Native.address(fa), from);
            if (r != 0) {
                throw Native.error("posix_spawn_file_actions_addclosefrom_np(" + from + ")", r);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(fa);
        }
    }
}
