package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** {@code <unistd.h>} and {@code <grp.h>}: user and group ids of the process. */
public final class Ids {
    private Ids() {
    }

    private static final FunctionDescriptor INT_VOID = FunctionDescriptor.of(JAVA_INT);
    private static final FunctionDescriptor INT_INT = FunctionDescriptor.of(JAVA_INT, JAVA_INT);
    private static final FunctionDescriptor INT_3INT = FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);

    private static final class getuid {
        static final MethodHandle H = Native.plain("getuid", INT_VOID);
    }

    private static final class geteuid {
        static final MethodHandle H = Native.plain("geteuid", INT_VOID);
    }

    private static final class getgid {
        static final MethodHandle H = Native.plain("getgid", INT_VOID);
    }

    private static final class getegid {
        static final MethodHandle H = Native.plain("getegid", INT_VOID);
    }

    private static final class setuid {
        static final MethodHandle H = Native.errnoSetting("setuid", INT_INT);
    }

    private static final class setgid {
        static final MethodHandle H = Native.errnoSetting("setgid", INT_INT);
    }

    private static final class setresuid {
        static final MethodHandle H = Native.errnoSetting("setresuid", INT_3INT);
    }

    private static final class setresgid {
        static final MethodHandle H = Native.errnoSetting("setresgid", INT_3INT);
    }

    private static final class getgroups {
        static final MethodHandle H = Native.errnoSetting("getgroups", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    }

    private static final class setgroups {
        static final MethodHandle H = Native.errnoSetting("setgroups", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    }

    private static int id(MethodHandle h) {
        try {
            return (int) h.invokeExact();
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    public static int getuid() {
        return id(getuid.H);
    }

    public static int geteuid() {
        return id(geteuid.H);
    }

    public static int getgid() {
        return id(getgid.H);
    }

    public static int getegid() {
        return id(getegid.H);
    }

    public static void setuid(int uid) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            Native.check((int) setuid.H.invokeExact(c, uid), c, "setuid", uid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void setgid(int gid) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            Native.check((int) setgid.H.invokeExact(c, gid), c, "setgid", gid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** setresuid(2); -1 leaves an id unchanged. */
    public static void setresuid(int ruid, int euid, int suid) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            if ((int) setresuid.H.invokeExact(c, ruid, euid, suid) == -1) {
                throw Native.error("setresuid(" + ruid + ", " + euid + ", " + suid + ")", Native.errno(c));
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** setresgid(2); -1 leaves an id unchanged. */
    public static void setresgid(int rgid, int egid, int sgid) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            if ((int) setresgid.H.invokeExact(c, rgid, egid, sgid) == -1) {
                throw Native.error("setresgid(" + rgid + ", " + egid + ", " + sgid + ")", Native.errno(c));
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** getgroups(2): the supplementary group ids. */
    public static int[] getgroups() throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment list = a.allocate(JAVA_INT, 65536);
            int n = Native.check((int) getgroups.H.invokeExact(c, 65536, list), c, "getgroups");
            return list.asSlice(0, 4L * n).toArray(JAVA_INT);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** setgroups(2) with the given supplementary group ids (empty clears them). */
    public static void setgroups(int[] gids) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment list = gids.length == 0 ? MemorySegment.NULL : a.allocateFrom(JAVA_INT, gids);
            Native.check((int) setgroups.H.invokeExact(c, (long) gids.length, list), c, "setgroups", gids.length);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
