package dev.daemonkit.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalLong;

/** A live process holds the pidfile's lock: the daemon is already running. */
public final class AlreadyRunningException extends IOException {
    private static final long serialVersionUID = 1L;

    private final Path pidfile;
    private final long pid;
    private final boolean holderSeen;

    public AlreadyRunningException(Path pidfile, OptionalLong pid) {
        this(pidfile, pid, true);
    }

    /**
     * @param holderSeen whether {@code pid} was seen holding the lock; false when the holders'
     *                   descriptors could not be looked at (another user's) and {@code pid} is only
     *                   the process /proc/locks names as the locker, which may have exited since
     *                   while a child it passed the descriptor to holds on
     */
    public AlreadyRunningException(Path pidfile, OptionalLong pid, boolean holderSeen) {
        super("already running (pid " + (pid.isPresent() ? Long.toString(pid.getAsLong()) : "unknown, starting") + ", pidfile "
                + pidfile + ")");
        this.pidfile = pidfile;
        this.pid = pid.orElse(-1);
        this.holderSeen = holderSeen;
    }

    /** Whether {@link #pid()} was seen holding the lock (see the constructor). */
    public boolean holderSeen() {
        return holderSeen;
    }

    /** The pid written in the pidfile, if it holds one yet. */
    public OptionalLong pid() {
        return pid > 0 ? OptionalLong.of(pid) : OptionalLong.empty();
    }

    public Path pidfile() {
        return pidfile;
    }
}
