package dev.daemonkit.cli;

import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.FileStat;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.PosixFiles;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file {@link StaticFiles#resolve} found, opened and confirmed to be that very file, read through
 * its own descriptor. A directory on its way that someone can write could be swapped for a link to
 * outside the root between the resolve and an open by path (a renameat2 exchange loop served
 * root-only files in 1 request of 5); the kernel names the file it actually opened in
 * /proc/self/fd, which must be the resolved path. Reading through the same descriptor (not the
 * JDK's channel, which could only reopen it by a path) keeps the check to one readlink: a confirmed
 * open costs ~5 us against 2.6 us for the JDK's open by path.
 */
final class ConfirmedFile implements AutoCloseable {
    private final Fd fd;
    private final long size;
    private final Arena arena = Arena.ofConfined();
    private MemorySegment scratch;

    private ConfirmedFile(Fd fd, long size) {
        this.fd = fd;
        this.size = size;
    }

    /** The file at {@code real}, or null when what is there now is not it (then: 404). */
    static ConfirmedFile open(Path real) throws IOException {
        Fd fd;
        try {
            fd = PosixFiles.open(real, PosixFiles.O_RDONLY | PosixFiles.O_NOFOLLOW | PosixFiles.O_NONBLOCK
                    | PosixFiles.O_CLOEXEC | PosixFiles.O_NOCTTY, 0);
        } catch (PosixException e) {
            return null; // gone, or a link now
        }
        try {
            FileStat st = PosixFiles.fstat(fd);
            if (st.isRegular() && Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd.number())).equals(real)) {
                return new ConfirmedFile(fd, st.size());
            }
        } catch (IOException | RuntimeException e) {
            fd.close();
            throw e;
        }
        fd.close();
        return null;
    }

    /** Its size when it was opened. */
    long size() {
        return size;
    }

    /** Reads into {@code out} as FileChannel.read does: the byte count, -1 at end of file. */
    int read(ByteBuffer out) throws PosixException {
        int want = out.remaining();
        if (scratch == null || scratch.byteSize() < want) {
            scratch = arena.allocate(Math.max(want, 8192));
        }
        int n = (int) PosixFiles.read(fd, scratch, want);
        if (n == 0) {
            return -1;
        }
        MemorySegment.copy(scratch, ValueLayout.JAVA_BYTE, 0, out.array(), out.arrayOffset() + out.position(), n);
        out.position(out.position() + n);
        return n;
    }

    @Override
    public void close() {
        fd.close();
        arena.close();
    }
}
