package dev.daemonkit.posix;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.daemonkit.internal.libc.Abi;
import dev.daemonkit.internal.libc.Sys;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A reusable array of struct pollfd in native memory, for poll(2) over many descriptors (the
 * reaper watches one pidfd per child): set the entries, poll, read each entry's revents. Grows in
 * its arena; a round of poll allocates nothing. Not thread-safe: one owner.
 */
public final class PollFds {
    private final Arena arena;
    private MemorySegment fds;
    private int capacity;

    /** An array of {@code capacity} entries in {@code arena}. */
    public PollFds(Arena arena, int capacity) {
        this.arena = arena;
        this.capacity = Math.max(1, capacity);
        this.fds = arena.allocate(Abi.POLLFD_SIZE * this.capacity, 4);
    }

    /** Makes room for {@code n} entries (keeping none of the current ones). */
    public void ensureCapacity(int n) {
        if (n > capacity) {
            capacity = Math.max(n, capacity * 2);
            fds = arena.allocate(Abi.POLLFD_SIZE * capacity, 4);
        }
    }

    /** Entry {@code i} watches {@code fd} for reading (POLLIN; for a pidfd: the process exited). */
    public void set(int i, Fd fd) {
        set(i, fd.number());
    }

    /** Entry {@code i} watches raw descriptor {@code fd} for reading. */
    public void set(int i, int fd) {
        long off = Abi.POLLFD_SIZE * i;
        fds.set(JAVA_INT, off + Abi.POLLFD_FD_OFFSET, fd);
        fds.set(JAVA_SHORT, off + Abi.POLLFD_EVENTS_OFFSET, Abi.POLLIN);
        fds.set(JAVA_SHORT, off + Abi.POLLFD_REVENTS_OFFSET, (short) 0);
    }

    /**
     * poll(2) over the first {@code n} entries; -1 waits without a timeout. Returns how many are
     * ready (0 on timeout or when a signal interrupted the wait).
     */
    public int poll(int n, int timeoutMillis) throws PosixException {
        return Sys.poll(fds, n, timeoutMillis);
    }

    /** Whether entry {@code i} reported anything (readable, hang-up, error) in the last poll. */
    public boolean ready(int i) {
        return fds.get(JAVA_SHORT, Abi.POLLFD_SIZE * i + Abi.POLLFD_REVENTS_OFFSET) != 0;
    }
}
