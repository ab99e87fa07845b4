package dev.daemonkit.daemon;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.FileStat;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.PosixFiles;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opening a log file for appending when the caller may be root and the path may lie in a
 * directory someone less privileged can write. A symlink there could point root's writes — or a
 * chown — at any file. So:
 * <ul>
 * <li>a log that will be handed to another user ({@code --user}) is opened with O_NOFOLLOW: a
 *     symlink is refused, because following it would give the link's target away;</li>
 * <li>otherwise a symlink is followed only when root or the caller made it, in a directory of its
 *     own (the owner of the link is the owner of the directory — the kernel's protected_symlinks
 *     rule, made stricter): /dev/stdout or an administrator's own link, never one planted by
 *     another user, not even in that user's own directory;</li>
 * <li>the directories on the way are walked one by one ({@link PathWalk}): a symlink there is
 *     followed only under the rule above, and a file in a directory another user could change
 *     is opened (and created) inside that directory held open ({@link HeldDirectory});</li>
 * <li>the opened file must be a regular file, a FIFO, a character device or a socket — and
 *     ownership is only ever changed through the opened descriptor ({@link #handOver}), of a
 *     regular file with a single link that root or the caller owns.</li>
 * </ul>
 */
public final class LogFile {
    private static final Logger LOG = LoggerFactory.getLogger(LogFile.class);

    private LogFile() {
    }

    /**
     * Opens (creating 0644 if missing) {@code file} for appending, close-on-exec.
     *
     * @param forAnotherUser the file will be handed to another user: never follow a symlink
     * @throws IOException naming the file and the rule that refused it
     */
    public static Fd openAppend(Path file, boolean forAnotherUser) throws IOException {
        return openAppend(file, forAnotherUser, 0);
    }

    private static Fd openAppend(Path file, boolean forAnotherUser, int links) throws IOException {
        // The directory walked component by component (PathWalk): a link another user planted
        // higher up the path is refused too, not only one at the last component.
        PathWalk.Dir dir = PathWalk.parentOf(file);
        Path abs = dir.resolve(file.toAbsolutePath().getFileName());
        int flags = PosixFiles.O_WRONLY | PosixFiles.O_CREAT | PosixFiles.O_APPEND | PosixFiles.O_CLOEXEC | PosixFiles.O_NOCTTY | PosixFiles.O_NONBLOCK;
        boolean follow = !forAnotherUser && trustedSymlink(abs);
        if (follow && dir.othersCanChange()) {
            // Root's or your link, but in a place another user can change (a group-writable
            // /var/log, a directory under the service user's): the kernel would follow whatever
            // link is there at the open. Read this very link's target inside the held directory
            // and open the target under all these rules instead.
            if (links >= MAX_LINKS) {
                throw new IOException("log " + file.toAbsolutePath() + ": more than " + MAX_LINKS + " symbolic links");
            }
            return openAppend(trustedTarget(dir, abs), false, links + 1);
        }
        if (!follow) {
            flags |= PosixFiles.O_NOFOLLOW;
        }
        // Where another user could swap a directory on the way, not followed: created, if at all,
        // inside the directory walked (held open), never in whatever a swapped-in link leads to.
        boolean held = dir.othersCanChange() && !follow;
        Fd fd;
        try {
            fd = held ? HeldDirectory.open(dir, abs, flags, 0644) : PosixFiles.open(abs, flags, 0644);
        } catch (PosixException e) {
            throw switch (e.errno()) {
                case ELOOP -> new IOException("log " + abs + " is a symbolic link " + (forAnotherUser
                        ? "and the log is handed to another user (--user): refusing to follow it"
                        : "not made by root or you in a directory of your own: refusing to follow it"), e);
                case ENXIO -> new IOException("log " + abs + " is a FIFO with no reader", e);
                case EISDIR -> new IOException("log " + abs + " is a directory", e);
                case null, default -> e;
            };
        }
        try {
            FileStat st = PosixFiles.fstat(fd);
            switch (st.type()) {
                case REGULAR, FIFO, CHARACTER_DEVICE, SOCKET -> { }
                default -> throw new IOException("log " + abs + " is " + st.type().description());
            }
            // O_NONBLOCK only kept a FIFO without reader from hanging the open; writes should block.
            PosixFiles.setNonBlocking(fd, false);
            return fd;
        } catch (IOException | RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /**
     * What {@link #openAppend} would refuse, checked before anything is started; null when the
     * path looks fine (a missing file in an existing directory included).
     */
    public static String problem(Path file, boolean forAnotherUser) {
        Path abs;
        try {
            abs = PathWalk.parentOf(file).resolve(file.toAbsolutePath().getFileName());
        } catch (IOException e) {
            return "log " + file.toAbsolutePath() + ": " + e.getMessage();
        }
        try {
            FileStat st = PosixFiles.lstat(abs);
            if (st.type() == FileStat.Type.SYMLINK) {
                if (forAnotherUser) {
                    return "log " + abs + " is a symbolic link and the log is handed to another user (--user):"
                            + " daemonkit refuses to follow it";
                }
                if (!trustedSymlink(abs)) {
                    return "log " + abs + " is a symbolic link made by uid " + st.uid()
                            + ", not by root or you in a directory of your own: daemonkit refuses to follow it";
                }
                return null;
            }
            return switch (st.type()) {
                case REGULAR, FIFO, CHARACTER_DEVICE, SOCKET -> null;
                default -> "log " + abs + " is " + st.type().description();
            };
        } catch (IOException e) {
            return e instanceof PosixException pe && pe.errno() == Errno.ENOENT ? null : e.getMessage();
        }
    }

    private static final int MAX_LINKS = 8;

    /**
     * The target of the trusted symlink at {@code abs}, read in its directory held open through a
     * descriptor on the link itself (O_PATH | O_NOFOLLOW): the owner checked and the target read
     * are those of one inode, however fast another user exchanges names (a check before and after
     * a readlink by name was beaten by an even number of exchanges in between). Relative targets
     * are taken from the directory.
     */
    private static Path trustedTarget(PathWalk.Dir dir, Path abs) throws IOException {
        try (HeldDirectory held = HeldDirectory.of(dir);
                Fd link = PosixFiles.open(held.entry(abs.getFileName().toString()),
                        PosixFiles.O_PATH | PosixFiles.O_NOFOLLOW | PosixFiles.O_CLOEXEC, 0)) {
            // The link itself, pinned: its owner and its target are read from this one inode.
            if (!trusted(PosixFiles.fstat(link), held.stat().uid())) {
                throw new IOException("log " + abs + " changed while its symbolic link was read: a directory on the way"
                        + " can be changed by another user; refusing it");
            }
            Path target = Path.of(new String(PosixFiles.readlink(link), java.nio.charset.StandardCharsets.UTF_8));
            return target.isAbsolute() ? target : held.path().resolve(target);
        }
    }

    /** Whether a symlink at {@code abs} (if it is one) was made by root or the caller, in their own directory. */
    private static boolean trustedSymlink(Path abs) throws IOException {
        FileStat link;
        try {
            link = PosixFiles.lstat(abs);
        } catch (PosixException e) {
            if (e.errno() == Errno.ENOENT) {
                return false; // nothing there: create it, not through a link
            }
            throw e;
        }
        Path dir = abs.getParent();
        return link.type() == FileStat.Type.SYMLINK && dir != null && trusted(link, PosixFiles.stat(dir).uid());
    }

    /** The rule for a symlink: made by root or the caller, in a directory of the link's owner. */
    private static boolean trusted(FileStat link, int dirOwner) {
        return link.type() == FileStat.Type.SYMLINK && (link.uid() == 0 || link.uid() == Posix.geteuid())
                && dirOwner == link.uid();
    }

    /**
     * Gives the open log to {@code uid}:{@code gid} (so a daemon that dropped to that account can
     * reopen it after logrotate), through the descriptor — only a regular file with one link,
     * owned by root or the caller. Anything else is left as it is, with a warning.
     */
    public static void handOver(Fd fd, Path name, int uid, int gid) throws PosixException {
        FileStat st = PosixFiles.fstat(fd);
        if (!st.isRegular()) {
            return; // /dev/null, a terminal, a FIFO: nothing to hand over
        }
        if (st.uid() == uid && st.gid() == gid) {
            return; // theirs already (stdout and stderr to one log: handed over once)
        }
        if (st.links() != 1 || st.uid() != 0 && st.uid() != Posix.geteuid()) {
            LOG.warn("log {} not handed to uid {}: it has {} links and belongs to uid {}", name, uid, st.links(), st.uid());
            return;
        }
        PosixFiles.fchown(fd, uid, gid);
    }
}
