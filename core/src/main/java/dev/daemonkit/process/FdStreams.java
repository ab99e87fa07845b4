package dev.daemonkit.process;

import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.posix.PosixException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;

/** Java streams over raw descriptors (the parent's ends of pipes to a child). Each owns its fd. */
final class FdStreams {
    private FdStreams() {
    }

    static final class In extends InputStream {
        private final Fd fd;
        // An automatic arena: a reader blocked in read(2) must not stop close() from another thread.
        private final MemorySegment buf = Arena.ofAuto().allocate(8192);
        private final AtomicBoolean closed = new AtomicBoolean();

        In(Fd fd) {
            this.fd = fd;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n <= 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (closed.get()) {
                throw new IOException("stream closed");
            }
            if (len == 0) {
                return 0;
            }
            long n = PosixFiles.read(fd, buf, Math.min(len, buf.byteSize()));
            if (n == 0) {
                return -1;
            }
            MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, b, off, (int) n);
            return (int) n;
        }

        @Override
        public void close() throws IOException {
            if (closed.compareAndSet(false, true)) {
                fd.close();
            }
        }
    }

    static final class Out extends OutputStream {
        private final Fd fd;
        // An automatic arena: a reader blocked in read(2) must not stop close() from another thread.
        private final MemorySegment buf = Arena.ofAuto().allocate(8192);
        private final AtomicBoolean closed = new AtomicBoolean();

        Out(Fd fd) {
            this.fd = fd;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (closed.get()) {
                throw new IOException("stream closed");
            }
            while (len > 0) {
                int chunk = (int) Math.min(len, buf.byteSize());
                MemorySegment.copy(b, off, buf, ValueLayout.JAVA_BYTE, 0, chunk);
                long done = 0;
                while (done < chunk) {
                    done += PosixFiles.write(fd, buf.asSlice(done), chunk - done);
                }
                off += chunk;
                len -= chunk;
            }
        }

        @Override
        public void close() throws PosixException {
            if (closed.compareAndSet(false, true)) {
                fd.close();
            }
        }
    }
}
