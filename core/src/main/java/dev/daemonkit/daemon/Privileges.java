package dev.daemonkit.daemon;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Users;
import java.io.IOException;

/**
 * Dropping root for a daemon: setgid, initgroups (supplementary groups of the user), setuid — in
 * that order, since after setuid the process could no longer change its groups — then reads every
 * id back and refuses to continue if any is still 0.
 *
 * <pre>{@code
 * Privileges.Account nobody = Privileges.lookup("nobody", null);
 * Privileges.drop(nobody);    // the whole JVM (all threads) now runs as nobody
 * }</pre>
 */
public final class Privileges {
    private Privileges() {
    }

    /** A resolved user and group. */
    public record Account(String user, int uid, int gid) {
    }

    /**
     * Resolves a user (name or numeric uid) and optionally a group (name or gid; default: the
     * user's primary group).
     *
     * @throws PosixException ENOENT-like with a clear message when the user or group does not exist
     */
    public static Account lookup(String user, String group) throws PosixException {
        Users.User pw;
        if (user.chars().allMatch(Character::isDigit)) {
            int uid = Integer.parseInt(user);
            pw = new Users.User(user, uid, uid, "/");
            // A numeric uid may have no passwd entry; use its own number as the group then.
        } else {
            pw = Users.byName(user).orElseThrow(() -> new PosixException("getpwnam(" + user + ")",
                    Errno.ENOENT.number(), "no such user"));
        }
        int gid = pw.gid();
        if (group != null) {
            if (group.chars().allMatch(Character::isDigit)) {
                gid = Integer.parseInt(group);
            } else {
                gid = Users.groupId(group).orElseThrow(() -> new PosixException("getgrnam(" + group + ")",
                        Errno.ENOENT.number(), "no such group"));
            }
        }
        return new Account(pw.name(), pw.uid(), gid);
    }

    /**
     * Switches the whole process to the account for good. Fails with EPERM if not root (unless
     * already that account), before changing anything if the account could not read the class
     * path the JVM keeps loading from, and throws if any real, effective or saved id is left
     * unchanged.
     */
    public static void drop(Account a) throws IOException {
        if (Posix.geteuid() != 0) {
            if (Posix.geteuid() == a.uid() && Posix.getegid() == a.gid()) {
                return;
            }
            throw new PosixException("drop privileges to " + a.user(), Errno.EPERM.number(),
                    "only root can switch to another user");
        }
        // Refuse now, naming the path, rather than die of a ClassNotFoundException after the drop.
        ClassPathAccess.ensureLoadable(a);
        Users.setgid(a.gid());
        if (a.user().chars().allMatch(Character::isDigit)) {
            Users.setgroups(new int[] {a.gid()});
        } else {
            Users.initgroups(a.user(), a.gid());
        }
        Users.setuid(a.uid());
        verify(a);
    }

    private static void verify(Account a) throws PosixException {
        if (Posix.getuid() != a.uid() || Posix.geteuid() != a.uid() || Posix.getgid() != a.gid()
                || Posix.getegid() != a.gid()) {
            throw new PosixException("drop privileges to " + a.user(), Errno.EPERM.number(),
                    "ids did not change as asked (uid " + Posix.getuid() + "/" + Posix.geteuid() + ", gid "
                            + Posix.getgid() + "/" + Posix.getegid() + ")");
        }
        if (a.uid() != 0) {
            // The saved set-user-ID must be gone too: setuid(0) must now fail.
            try {
                Users.setuid(0);
                throw new PosixException("drop privileges to " + a.user(), Errno.EPERM.number(),
                        "could regain root after the drop; refusing to continue");
            } catch (PosixException expected) {
                if (!"EPERM".equals(expected.errnoName())) {
                    throw expected;
                }
            }
        }
    }

    /**
     * Runs {@code action} with real uid/gid set to the account while the effective ids stay root,
     * so that a child spawned inside with POSIX_SPAWN_RESETIDS runs as the account while this
     * process keeps root to clean up afterwards. Restores real ids and groups after.
     */
    public static <T> T withRealIds(Account a, PrivilegedAction<T> action) throws Exception {
        int[] groups = Users.getgroups();
        int ruid = Posix.getuid();
        int rgid = Posix.getgid();
        if (a.user().chars().allMatch(Character::isDigit)) {
            Users.setgroups(new int[] {a.gid()});
        } else {
            Users.initgroups(a.user(), a.gid());
        }
        Users.setresgid(a.gid(), -1, -1);
        Users.setresuid(a.uid(), -1, -1);
        try {
            return action.run();
        } finally {
            Users.setresuid(ruid, -1, -1);
            Users.setresgid(rgid, -1, -1);
            Users.setgroups(groups);
        }
    }

    /** Code run by {@link #withRealIds}. */
    @FunctionalInterface
    public interface PrivilegedAction<T> {
        T run() throws Exception;
    }
}
