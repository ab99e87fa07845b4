package dev.daemonkit.posix;

import dev.daemonkit.internal.libc.Ids;
import dev.daemonkit.internal.libc.Pwd;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The user and group databases and the calls that change a process's ids: what dropping
 * privileges is made of. Reading ids is on {@link Posix} (getuid, geteuid...).
 */
public final class Users {
    private Users() {
    }

    /** A user database entry. */
    public record User(String name, int uid, int gid, String home) {
    }

    /** getpwnam_r(3); empty when there is no such user. */
    public static Optional<User> byName(String name) throws PosixException {
        return Pwd.getpwnam(name).map(p -> new User(p.name(), p.uid(), p.gid(), p.home()));
    }

    /** getgrnam_r(3): a group's id; empty when there is no such group. */
    public static OptionalInt groupId(String name) throws PosixException {
        return Pwd.getgrnam(name);
    }

    /** getgrouplist(3): every group the user belongs to, {@code gid} included. */
    public static int[] groupsOf(String user, int gid) throws PosixException {
        return Pwd.getgrouplist(user, gid);
    }

    /** initgroups(3): the user's supplementary groups from the group database, plus {@code gid}. */
    public static void initgroups(String user, int gid) throws PosixException {
        Pwd.initgroups(user, gid);
    }

    /** getgroups(2): this process's supplementary groups. */
    public static int[] getgroups() throws PosixException {
        return Ids.getgroups();
    }

    /** setgroups(2) (empty clears them). */
    public static void setgroups(int[] gids) throws PosixException {
        Ids.setgroups(gids);
    }

    /** setuid(2): all three uids for root; only the effective one for others. */
    public static void setuid(int uid) throws PosixException {
        Ids.setuid(uid);
    }

    /** setgid(2). */
    public static void setgid(int gid) throws PosixException {
        Ids.setgid(gid);
    }

    /** setresuid(2); -1 leaves an id unchanged. */
    public static void setresuid(int ruid, int euid, int suid) throws PosixException {
        Ids.setresuid(ruid, euid, suid);
    }

    /** setresgid(2); -1 leaves an id unchanged. */
    public static void setresgid(int rgid, int egid, int sgid) throws PosixException {
        Ids.setresgid(rgid, egid, sgid);
    }
}
