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
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * A small file the launcher keeps beside a pidfile ({@code P.daemonkit}, {@code P.status}):
 * written whole to a new file and renamed over the old one, so a reader never sees half of it;
 * read only through a descriptor opened without following links, from a regular file owned by
 * root or the caller, and of bounded size — anything else reads as absent. Its directory is walked
 * as {@link PathWalk} does: a link another user planted on the way is never followed, and none is
 * written, read or removed in a directory another user can add files to (a sticky /tmp included).
 */
final class SideFile {
    private SideFile() {
    }

    /** {@code P.suffix} beside the pidfile P. */
    static Path beside(Path pidfile, String suffix) {
        Path abs = pidfile.toAbsolutePath();
        return abs.resolveSibling(abs.getFileName() + "." + suffix);
    }

    /** Replaces {@code file} by one holding {@code content} (0644, owned by this process's user). */
    static void replace(Path file, byte[] content) throws IOException {
        PathWalk.Dir dir = PathWalk.parentOf(file); // no planted link on the way
        if (dir.othersCanAddFiles()) {
            // Another user could swap the directory for a link between the walk and the write
            // (root's file with text a program chose would land elsewhere), or move a file of
            // root's whose text they chose (a program's log) to this name: not kept there at all.
            log().info("{} not written: another user can add files to {}", file, dir.path());
            return;
        }
        file = dir.resolve(file.getFileName());
        Path tmp = file.resolveSibling(file.getFileName() + "." + Posix.getpid() + ".tmp");
        try (Fd fd = PosixFiles.open(tmp, PosixFiles.O_WRONLY | PosixFiles.O_CREAT | PosixFiles.O_EXCL | PosixFiles.O_NOFOLLOW
                | PosixFiles.O_CLOEXEC, 0644)) {
            PosixFiles.fchmod(fd, 0644);
            PosixFiles.pwrite(fd, content, 0);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The content, if the file is there and trustworthy (see the class comment) and at most {@code max} bytes. */
    static Optional<byte[]> read(Path file, int max) {
        if (certainlyAbsent(file)) {
            return Optional.empty();
        }
        try {
            PathWalk.Dir dir = PathWalk.parentOf(file);
            if (dir.othersCanAddFiles()) {
                return Optional.empty(); // never written there (see replace): whatever is there is someone else's
            }
            file = dir.resolve(file.getFileName());
        } catch (IOException e) {
            return Optional.empty(); // behind a link someone else planted: not ours to read
        }
        try (Fd fd = PosixFiles.open(file, PosixFiles.O_RDONLY | PosixFiles.O_NOFOLLOW | PosixFiles.O_NONBLOCK
                | PosixFiles.O_CLOEXEC, 0)) {
            FileStat st = PosixFiles.fstat(fd);
            if (!st.isRegular() || st.size() > max || PidfileProbe.untrustedOwner(file, st) != null) {
                return Optional.empty();
            }
            return Optional.of(PosixFiles.read(fd, max));
        } catch (PosixException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether nothing at all is at the path (not even a dangling symlink), asked through the
     * JDK's own lstat: a command about a daemon that is not running (status, stop, reload) then
     * links no downcall, which saves it tens of milliseconds of start-up. ENOENT and ENOTDIR are
     * absent (as for the full check); any other answer (something exists, EACCES...) is false,
     * and the caller looks with its own checks.
     */
    static boolean certainlyAbsent(Path path) {
        try {
            java.nio.file.Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
            return false;
        } catch (java.nio.file.NoSuchFileException e) {
            return true;
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    /** Removes the file; a missing one is fine. */
    static void remove(Path file) {
        if (certainlyAbsent(file)) {
            return;
        }
        try {
            PathWalk.Dir dir = PathWalk.parentOf(file);
            if (dir.othersCanAddFiles()) {
                return; // never written there (see replace); unlinking by path could hit another directory
            }
            PosixFiles.unlink(dir.resolve(file.getFileName()));
        } catch (PosixException e) {
            if (e.errno() != Errno.ENOENT) {
                log().warn("cannot remove {}: {}", file, e.getMessage());
            }
        } catch (IOException e) {
            log().warn("not removing {}: {}", file, e.getMessage());
        }
    }

    /** Looked up when needed: the quick commands ask certainlyAbsent and must not set up logging. */
    private static org.slf4j.Logger log() {
        return org.slf4j.LoggerFactory.getLogger(SideFile.class);
    }
}
