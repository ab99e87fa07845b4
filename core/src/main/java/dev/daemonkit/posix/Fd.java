package dev.daemonkit.posix;

import dev.daemonkit.internal.libc.Unistd;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An open file descriptor that Java code owns: {@link #close()} closes it exactly once, however
 * many times and from however many threads it is called, so a descriptor number that the kernel
 * has handed out again can never be closed by mistake.
 *
 * <pre>{@code
 * try (Fd fd = PosixFiles.open(Path.of("/run/myd.pid"), PosixFiles.O_RDONLY | PosixFiles.O_CLOEXEC, 0)) {
 *     FileStat st = PosixFiles.fstat(fd);
 * }
 * }</pre>
 */
public final class Fd implements AutoCloseable {
    private static final int CLOSED = -1;

    private final AtomicInteger number;
    private final boolean owned;

    private Fd(int number, boolean owned) {
        this.number = new AtomicInteger(number);
        this.owned = owned;
    }

    /**
     * Takes ownership of a raw descriptor (one a system call returned, or one inherited from a
     * parent such as fd 3 or 4).
     */
    public static Fd adopt(int number) {
        if (number < 0) {
            throw new IllegalArgumentException("not a file descriptor: " + number);
        }
        return new Fd(number, true);
    }

    /**
     * A view of a descriptor this object does not own, such as 0, 1 or 2: usable with the calls
     * that take an {@code Fd}; {@link #close()} leaves the descriptor open.
     */
    public static Fd borrow(int number) {
        if (number < 0) {
            throw new IllegalArgumentException("not a file descriptor: " + number);
        }
        return new Fd(number, false);
    }

    /** The descriptor number, for a system call; fails once the descriptor is closed. */
    public int number() {
        int n = number.get();
        if (n == CLOSED) {
            throw new IllegalStateException("file descriptor already closed");
        }
        return n;
    }

    /** Whether it is still open (as far as this object knows). */
    public boolean isOpen() {
        return number.get() != CLOSED;
    }

    /** Stops owning the descriptor without closing it and returns its number. */
    public int release() {
        int n = number.getAndSet(CLOSED);
        if (n == CLOSED) {
            throw new IllegalStateException("file descriptor already closed");
        }
        return n;
    }

    /**
     * Closes the descriptor, once (a borrowed one is only forgotten). An error from close(2) is not reported: on Linux the descriptor
     * is released even when close fails (EINTR, EIO), and nothing useful can be done about it.
     */
    @Override
    public void close() {
        int n = number.getAndSet(CLOSED);
        if (n != CLOSED && owned) {
            try {
                Unistd.close(n);
            } catch (PosixException ignored) {
                // released by the kernel all the same
            }
        }
    }

    @Override
    public String toString() {
        int n = number.get();
        return n == CLOSED ? "Fd[closed]" : "Fd[" + n + "]";
    }
}
