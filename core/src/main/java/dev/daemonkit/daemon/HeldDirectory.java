package dev.daemonkit.daemon;

import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.FileStat;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.PosixFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A directory held open for the packages that create, rename or delete files by name while the
 * user of a program they run may own a directory on the way (supervise's program logs and its
 * control socket). Checking a path and then using it leaves a window: that user swaps a directory
 * on the way for a link to {@code /etc} between the check and the rename, and root renames or
 * deletes {@code /etc}'s files — a window an attacker who controls when a log rotates can retry at
 * will. Here the directory is walked once ({@link PathWalk}: no link another user planted), opened
 * with O_PATH and confirmed, and every later name is looked up through {@code /proc/self/fd/N/},
 * which leads to that directory whatever has become of the path since.
 */
public final class HeldDirectory implements AutoCloseable {
    private final Path path;
    private final Fd fd;
    private final String prefix;

    private HeldDirectory(Path path, Fd fd, String prefix) {
        this.path = path;
        this.fd = fd;
        this.prefix = prefix;
    }

    /**
     * Holds the directory {@code file} lies in.
     *
     * @throws IOException naming a symlink another user planted on the way, or a directory that is
     *                     missing or was swapped while it was opened
     */
    public static HeldDirectory parentOf(Path file) throws IOException {
        return of(PathWalk.parentOf(file));
    }

    /** Holds a directory already walked (the caller's own {@link PathWalk}, not done twice). */
    static HeldDirectory of(PathWalk.Dir walked) throws IOException {
        Path dir = walked.path();
        Fd fd;
        try {
            fd = PosixFiles.open(dir, PosixFiles.O_PATH | PosixFiles.O_DIRECTORY | PosixFiles.O_NOFOLLOW
                    | PosixFiles.O_CLOEXEC, 0);
        } catch (PosixException e) {
            throw new IOException("cannot open directory " + dir + ": " + e.getMessage(), e);
        }
        try {
            PathWalk.confirm(fd, dir, "directory"); // swapped between the walk and the open: refused
            String link = "/proc/self/fd/" + fd.number();
            // Without /proc there is no name for the held directory: the checked path is all there is.
            boolean proc;
            try {
                proc = PosixFiles.stat(Path.of(link)).sameFile(PosixFiles.fstat(fd));
            } catch (PosixException e) {
                proc = false;
            }
            return new HeldDirectory(dir, fd, proc ? link + "/" : dir + "/");
        } catch (IOException | RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /**
     * Opens {@code file} inside its directory, held for the moment: where a directory on the way
     * could be swapped for a link, a file created by O_CREAT is created in the directory that was
     * walked, not in the link's target (a check after the open would come too late for that).
     *
     * @throws PosixException from open(2), for the caller to explain (ELOOP, ENXIO...)
     * @param walked the walk of {@code file}'s directory
     * @throws IOException    when the directory itself is refused (see {@link #parentOf})
     */
    static Fd open(PathWalk.Dir walked, Path file, int flags, int mode) throws IOException {
        try (HeldDirectory dir = of(walked)) {
            return PosixFiles.open(dir.entry(file.getFileName().toString()), flags, mode);
        }
    }

    /** {@code name} in the held directory, as a path that leads there whatever became of {@link #path()}. */
    public Path entry(String name) {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("not a name in a directory: " + name);
        }
        return Path.of(prefix + name);
    }

    /** The entry {@code name}, if it is the file {@code expected} (same device and inode, not followed). */
    public Optional<Path> entryIfStill(String name, FileStat expected) {
        Path p = entry(name);
        try {
            return PosixFiles.lstat(p).sameFile(expected) ? Optional.of(p) : Optional.empty();
        } catch (PosixException e) {
            return Optional.empty();
        }
    }

    /** The held directory's own status (its owner, mode), through the descriptor. */
    public FileStat stat() throws PosixException {
        return PosixFiles.fstat(fd);
    }

    /** The physical path the directory had when it was opened: for messages. */
    public Path path() {
        return path;
    }

    @Override
    public void close() {
        fd.close();
    }
}
