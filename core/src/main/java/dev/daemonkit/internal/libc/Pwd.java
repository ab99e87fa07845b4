package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.OptionalInt;

/** {@code <pwd.h>} and {@code <grp.h>}: the user and group databases (through NSS). */
public final class Pwd {
    private Pwd() {
    }

    /**
     * {@code int getpwnam_r(const char *name, struct passwd *pwd, char *buf, size_t buflen,
     * struct passwd **result)}
     */
    private static final class getpwnam_r {
        static final MemorySegment F = Native.symbol("getpwnam_r");
    }

    /** {@code int getgrnam_r(const char *name, struct group *grp, char *buf, size_t buflen, struct group **result)} */
    private static final class getgrnam_r {
        static final MemorySegment F = Native.symbol("getgrnam_r");
    }

    /** {@code int initgroups(const char *user, gid_t group)} */
    private static final class initgroups {
        static final MemorySegment F = Native.symbol("initgroups");
    }

    /** {@code int getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups)} */
    private static final class getgrouplist {
        static final MemorySegment F = Native.symbol("getgrouplist");
    }

    /** A user database entry: the fields daemonkit needs. */
    public record Passwd(String name, int uid, int gid, String home) {
    }

    /** getpwnam_r(3); empty when there is no such user. */
    public static Optional<Passwd> getpwnam(String name) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pwd = a.allocate(Abi.PASSWD_SIZE, 8);
            MemorySegment buf = a.allocate(16384);
            MemorySegment result = a.allocate(ADDRESS);
            int r = (int) Native.call(getpwnam_r.F, Native.capture(), Native.address(a.allocateFrom(name)),
                    Native.address(pwd), Native.address(buf), buf.byteSize(), Native.address(result));
            Native.checkCode(r, "getpwnam_r(" + name + ")");
            if (result.get(ADDRESS, 0).equals(MemorySegment.NULL)) {
                return Optional.empty();
            }
            String home = pwd.get(ADDRESS, Abi.PASSWD_DIR_OFFSET).reinterpret(4096).getString(0);
            return Optional.of(new Passwd(name, pwd.get(JAVA_INT, Abi.PASSWD_UID_OFFSET),
                    pwd.get(JAVA_INT, Abi.PASSWD_GID_OFFSET), home));
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** getgrnam_r(3); the gid of a group, empty when there is no such group. */
    public static OptionalInt getgrnam(String name) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment grp = a.allocate(Abi.GROUP_SIZE, 8);
            MemorySegment buf = a.allocate(65536);
            MemorySegment result = a.allocate(ADDRESS);
            int r = (int) Native.call(getgrnam_r.F, Native.capture(), Native.address(a.allocateFrom(name)),
                    Native.address(grp), Native.address(buf), buf.byteSize(), Native.address(result));
            Native.checkCode(r, "getgrnam_r(" + name + ")");
            if (result.get(ADDRESS, 0).equals(MemorySegment.NULL)) {
                return OptionalInt.empty();
            }
            return OptionalInt.of(grp.get(JAVA_INT, Abi.GROUP_GID_OFFSET));
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** initgroups(3): the supplementary groups of {@code user} from the group database, plus {@code gid}. */
    public static void initgroups(String user, int gid) throws PosixException {
        MemorySegment c = Native.capture();
        try (Arena a = Arena.ofConfined()) {
            Native.check((int) Native.call(initgroups.F, c, Native.address(a.allocateFrom(user)), gid), c,
                    "initgroups", user);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** getgrouplist(3): every group {@code user} belongs to, {@code gid} included. */
    public static int[] getgrouplist(String user, int gid) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment name = a.allocateFrom(user);
            MemorySegment count = a.allocateFrom(JAVA_INT, 64);
            for (int attempt = 0; attempt < 4; attempt++) {
                int cap = count.get(JAVA_INT, 0);
                MemorySegment list = a.allocate(JAVA_INT, cap);
                int r = (int) Native.call(getgrouplist.F, Native.capture(), Native.address(name), gid,
                        Native.address(list), Native.address(count));
                if (r >= 0) {
                    return list.asSlice(0, 4L * r).toArray(JAVA_INT);
                }
                // -1: too small; glibc stored the number needed in *ngroups.
                count.set(JAVA_INT, 0, Math.max(count.get(JAVA_INT, 0), cap * 2));
            }
            throw Native.error("getgrouplist(" + user + ")", 34 /* ERANGE */);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
