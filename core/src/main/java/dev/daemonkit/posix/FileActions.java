package dev.daemonkit.posix;

import dev.daemonkit.internal.libc.Abi;
import dev.daemonkit.internal.libc.CString;
import dev.daemonkit.internal.libc.SpawnCalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * posix_spawn_file_actions_t, as nix's {@code PosixSpawnFileActions}: what the child does with
 * its descriptors between the spawn and the exec, in order — duplicate, open, close, close
 * everything from a number on, change directory. glibc copies the paths it is given.
 */
public final class FileActions implements AutoCloseable {
    private final MemorySegment fa;
    private boolean destroyed;

    /** posix_spawn_file_actions_init in {@code arena}. */
    public FileActions(Arena arena) throws PosixException {
        fa = arena.allocate(Abi.POSIX_SPAWN_FILE_ACTIONS_SIZE, 8);
        SpawnCalls.posix_spawn_file_actions_init(fa);
    }

    /** dup2(fd, newfd) in the child; for fd == newfd glibc (2.29+) clears close-on-exec instead. */
    public FileActions addDup2(int fd, int newfd) throws PosixException {
        SpawnCalls.posix_spawn_file_actions_adddup2(fa, fd, newfd);
        return this;
    }

    /** open(path, oflag, mode) onto descriptor {@code fd} in the child. */
    public FileActions addOpen(int fd, String path, int oflag, int mode) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            SpawnCalls.posix_spawn_file_actions_addopen(fa, fd, CString.of(a, path), path, oflag, mode);
        }
        return this;
    }

    /** close(fd) in the child. */
    public FileActions addClose(int fd) throws PosixException {
        SpawnCalls.posix_spawn_file_actions_addclose(fa, fd);
        return this;
    }

    /** Whether this glibc can close every descriptor from a number on (2.34+). */
    public static boolean canCloseFrom() {
        return SpawnCalls.hasAddClosefrom();
    }

    /** closefrom(from) in the child (glibc 2.34+, see {@link #canCloseFrom()}). */
    public FileActions addCloseFrom(int from) throws PosixException {
        SpawnCalls.posix_spawn_file_actions_addclosefrom_np(fa, from);
        return this;
    }

    /** chdir(dir) in the child (glibc 2.29+). */
    public FileActions addChdir(String dir) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            SpawnCalls.posix_spawn_file_actions_addchdir_np(fa, CString.of(a, dir), dir);
        }
        return this;
    }

    MemorySegment segment() {
        return fa;
    }

    /** posix_spawn_file_actions_destroy, once. */
    @Override
    public void close() throws PosixException {
        if (!destroyed) {
            destroyed = true;
            SpawnCalls.posix_spawn_file_actions_destroy(fa);
        }
    }
}
