package dev.daemonkit.daemon;

import dev.daemonkit.posix.FileStat;
import dev.daemonkit.posix.PosixFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@link PathWalk} for the packages that create, rename or delete files by path while the user
 * of a program they run may own a directory on the way (supervise's program logs and control
 * socket): the physical path with no link another user planted, and whether a path still leads
 * to the file daemonkit made or has open.
 */
public final class CheckedPath {
    private CheckedPath() {
    }

    /**
     * The physical path of {@code file}: its directory walked one component at a time.
     *
     * @throws IOException naming a symlink another user planted on the way
     */
    public static Path of(Path file) throws IOException {
        return PathWalk.parentOf(file).resolve(file.toAbsolutePath().getFileName());
    }

    /**
     * The physical path of {@code file} if it still leads to {@code made} (the same file), through
     * no planted link; empty otherwise (a directory on the way was swapped): then it must not be
     * renamed or deleted by path.
     */
    public static Optional<Path> stillLeadsTo(Path file, FileStat made) {
        try {
            Path real = of(file);
            return PosixFiles.lstat(real).sameFile(made) ? Optional.of(real) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
