package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** {@code <unistd.h>} and {@code <grp.h>}: user and group ids of the process. */
public final class Ids {
    private Ids() {
    }

    /** {@code uid_t getuid(void)} */
    private static final class getuid {
        static final MemorySegment F = Native.symbol("getuid");
    }

    /** {@code uid_t geteuid(void)} */
    private static final class geteuid {
        static final MemorySegment F = Native.symbol("geteuid");
    }

    /** {@code gid_t getgid(void)} */
    private static final class getgid {
        static final MemorySegment F = Native.symbol("getgid");
    }

    /** {@code gid_t getegid(void)} */
    private static final class getegid {
        static final MemorySegment F = Native.symbol("getegid");
    }

    /** {@code int setuid(uid_t uid)} */
    private static final class setuid {
        static final MemorySegment F = Native.symbol("setuid");
    }

    /** {@code int setgid(gid_t gid)} */
    private static final class setgid {
        static final MemorySegment F = Native.symbol("setgid");
    }

    /** {@code int setresuid(uid_t ruid, uid_t euid, uid_t suid)} */
    private static final class setresuid {
        static final MemorySegment F = Native.symbol("setresuid");
    }

    /** {@code int setresgid(gid_t rgid, gid_t egid, gid_t sgid)} */
    private static final class setresgid {
        static final MemorySegment F = Native.symbol("setresgid");
    }

    /** {@code int getgroups(int size, gid_t list[])} */
    private static final class getgroups {
        static final MemorySegment F = Native.symbol("getgroups");
    }

    /** {@code int setgroups(size_t size, const gid_t *list)} */
    private static final class setgroups {
        static final MemorySegment F = Native.symbol("setgroups");
    }

    private static int id(MemorySegment f) {
        try {
            return (int) Native.call(f, Native.capture());
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    public static int getuid() {
        return id(getuid.F);
    }

    public static int geteuid() {
        return id(geteuid.F);
    }

    public static int getgid() {
        return id(getgid.F);
    }

    public static int getegid() {
        return id(getegid.F);
    }

    public static void setuid(int uid) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            Native.check((int) Native.call(setuid.F, c, uid), c, "setuid", uid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static void setgid(int gid) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            Native.check((int) Native.call(setgid.F, c, gid), c, "setgid", gid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** setresuid(2); -1 leaves an id unchanged. */
    public static void setresuid(int ruid, int euid, int suid) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            if ((int) Native.call(setresuid.F, c, ruid, euid, suid) == -1) {
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
            if ((int) Native.call(setresgid.F, c, rgid, egid, sgid) == -1) {
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
            int n = Native.check((int) Native.call(getgroups.F, c, 65536, Native.address(list)), c, "getgroups");
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
            Native.check((int) Native.call(setgroups.F, c, gids.length, Native.address(list)), c, "setgroups",
                    gids.length);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
