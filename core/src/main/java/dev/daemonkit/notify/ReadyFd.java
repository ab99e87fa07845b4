package dev.daemonkit.notify;

import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.process.Spawn;
import java.time.Duration;

/**
 * s6's readiness notification (notification-fd): the program gets the write end of a pipe as fd
 * N and writes a newline to it once it is ready; whatever it writes before the newline is
 * ignored, and so is everything after. The read end stays here.
 */
public final class ReadyFd implements AutoCloseable {
    /** What the program has done with its end so far. */
    public enum State {
        /** Nothing yet (or only text without a newline). */
        WAITING,
        /** A newline came: ready. */
        READY,
        /** Every copy of the write end is closed without a newline: it can never become ready. */
        CLOSED
    }

    private final int childFd;
    private final Fd readEnd;
    private Fd writeEnd;
    private State state = State.WAITING;

    private ReadyFd(int childFd, PosixFiles.Pipe pipe) {
        this.childFd = childFd;
        this.readEnd = pipe.readEnd();
        this.writeEnd = pipe.writeEnd();
    }

    /** A new pipe whose write end a child will get as {@code childFd} (>= 3). */
    public static ReadyFd open(int childFd) throws PosixException {
        return new ReadyFd(childFd, PosixFiles.pipe());
    }

    /** The fd number the program writes its newline to. */
    public int childFd() {
        return childFd;
    }

    /** Passes the write end to the child; call {@link #spawned()} once it is started. */
    public Spawn passTo(Spawn spawn) {
        return spawn.passFd(writeEnd.number(), childFd);
    }

    /** Closes our copy of the write end, so that the program's exit shows as end of file. */
    public void spawned() {
        if (writeEnd != null) {
            writeEnd.close();
            writeEnd = null;
        }
    }

    /** Reads what is there, waiting up to {@code wait}; once READY or CLOSED it stays so. */
    public synchronized State poll(Duration wait) throws PosixException {
        if (state != State.WAITING || !readEnd.isOpen() || !Posix.pollReadable(readEnd, wait)) {
            return state;
        }
        byte[] b = PosixFiles.read(readEnd, 512);
        if (b.length == 0) {
            state = State.CLOSED;
        }
        for (byte x : b) {
            if (x == '\n') {
                state = State.READY;
                break;
            }
        }
        return state;
    }

    @Override
    public synchronized void close() {
        spawned();
        readEnd.close();
    }
}
