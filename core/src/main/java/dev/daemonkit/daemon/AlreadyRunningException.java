package dev.daemonkit.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalLong;

/** A live process holds the pidfile's lock: the daemon is already running. */
public final class AlreadyRunningException extends IOException {
    private static final long serialVersionUID = 1L;

    private final Path pidfile;
    private final long pid;

    public AlreadyRunningException(Path pidfile, OptionalLong pid) {
        super("already running (pid " + (pid.isPresent() ? Long.toString(pid.getAsLong()) : "unknown, starting") + ", pidfile "
                + pidfile + ")");
        this.pidfile = pidfile;
        this.pid = pid.orElse(-1);
    }

    /** The pid written in the pidfile, if it holds one yet. */
    public OptionalLong pid() {
        return pid > 0 ? OptionalLong.of(pid) : OptionalLong.empty();
    }

    public Path pidfile() {
        return pidfile;
    }
}
