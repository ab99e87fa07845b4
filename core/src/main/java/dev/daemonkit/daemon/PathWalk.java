package dev.daemonkit.daemon;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.FileStat;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.PosixFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The directory a pidfile, log or side file lies in, found the way the kernel would find it but
 * one component at a time, because root may be handed a path through a directory that someone
 * less privileged can write: {@code /srv/app/logs/app.log} where the service user turned
 * {@code logs} into a link to {@code /etc}. O_NOFOLLOW guards only the last component; this guards
 * the others. A symlink on the way is followed only when root or the caller made it in a directory
 * of its own (the rule {@link LogFile} applies to the last component): {@code /var/run -> /run} is
 * fine, a link another user planted is refused, wherever it is in the path.
 *
 * <p>The walk also notes whether a directory on the way could be changed by another user (not
 * owned by root or the caller, or group/other-writable without the sticky bit): there a real
 * directory checked now could be swapped for a link before the open, so the caller confirms what
 * it opened with {@link #confirm}.
 */
final class PathWalk {
    private static final int MAX_LINKS = 40;

    /**
     * The physical directory; whether another user could change the way to it; and whether another
     * user could put a file into it (it is group/other-writable — a sticky /tmp too, where others
     * cannot rename root's files but can move their own in — or not root's or the caller's).
     */
    record Dir(Path path, boolean othersCanChange, boolean othersCanAddFiles) {
        /** {@code name} in this directory. */
        Path resolve(Path name) {
            return path.resolve(name);
        }
    }

    private PathWalk() {
    }

    /** The directory {@code file} lies in (see the class comment); {@code file} itself is not looked at. */
    static Dir parentOf(Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        return directory(abs.getParent() == null ? abs : abs.getParent());
    }

    /**
     * Walks {@code dir} from the root. A component that does not exist ends the walk: the rest is
     * appended as given, and the caller's open fails with ENOENT naming it.
     *
     * @throws IOException naming the symlink that was refused and who made it
     */
    static Dir directory(Path dir) throws IOException {
        Deque<String> todo = new ArrayDeque<>();
        pushFront(todo, dir.toAbsolutePath());
        Path cur = Path.of("/");
        boolean othersCanChange = false;
        boolean othersCanAdd = false; // into the directory reached last
        int links = 0;
        int me = Posix.geteuid();
        while (!todo.isEmpty()) {
            String name = todo.pollFirst();
            if (name.isEmpty() || name.equals(".")) {
                continue;
            }
            if (name.equals("..")) {
                cur = cur.getParent() == null ? cur : cur.getParent(); // physical: cur has no links
                continue;
            }
            Path next = cur.resolve(name);
            FileStat st;
            try {
                st = PosixFiles.lstat(next);
            } catch (PosixException e) {
                if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
                    for (String rest : todo) {
                        next = next.resolve(rest);
                    }
                    // Missing now; whoever can create entries here - a sticky /tmp included - can
                    // put a link in its place before the open: the file is opened inside the
                    // directory held open (HeldDirectory).
                    FileStat here = PosixFiles.stat(cur);
                    othersCanChange |= (here.uid() != 0 && here.uid() != me) || (here.mode() & 022) != 0;
                    return new Dir(next, othersCanChange, othersCanChange);
                }
                throw e;
            }
            if (st.type() == FileStat.Type.SYMLINK) {
                if (++links > MAX_LINKS) {
                    throw new IOException(dir + ": more than " + MAX_LINKS + " symbolic links on the way");
                }
                int dirOwner = PosixFiles.stat(cur).uid();
                if ((st.uid() != 0 && st.uid() != me) || dirOwner != st.uid()) {
                    throw new IOException(next + " is a symbolic link made by uid " + st.uid() + " in a directory of uid "
                            + dirOwner + ": daemonkit follows a link in a path only when root or you made it in a"
                            + " directory of your own (it could point root's writes or a chown at any file)");
                }
                Path target = Files.readSymbolicLink(next);
                if (target.isAbsolute()) {
                    cur = Path.of("/");
                }
                pushFront(todo, target);
                continue;
            }
            if (st.type() != FileStat.Type.DIRECTORY) {
                throw new IOException(next + " is " + st.type().description() + ", not a directory");
            }
            othersCanChange |= (st.uid() != 0 && st.uid() != me) || ((st.mode() & 022) != 0 && (st.mode() & 01000) == 0);
            othersCanAdd = (st.uid() != 0 && st.uid() != me) || (st.mode() & 022) != 0;
            cur = next;
        }
        return new Dir(cur, othersCanChange, othersCanChange || othersCanAdd);
    }

    /**
     * Confirms that {@code fd}, opened as {@code expected} in a directory another user could change,
     * is that file: /proc/self/fd names the file the kernel actually opened, so a directory swapped
     * for a link between the walk and the open shows up as another path.
     *
     * @throws IOException when the opened file is another one
     */
    static void confirm(Fd fd, Path expected, String what) throws IOException {
        Path opened;
        try {
            opened = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd.number()));
        } catch (IOException e) {
            return; // no /proc: nothing to confirm with (the walk itself still ran)
        }
        if (!opened.equals(expected)) {
            throw new IOException(what + " " + expected + " changed while it was opened (it is now " + opened
                    + "): a directory on the way can be changed by another user; refusing it");
        }
    }

    private static void pushFront(Deque<String> todo, Path p) {
        for (int i = p.getNameCount() - 1; i >= 0; i--) {
            todo.addFirst(p.getName(i).toString());
        }
    }
}
