package dev.daemonkit.daemon;

import java.io.IOException;

/**
 * daemonkit will not use a pidfile, or will not act on what it names. {@link #badInput()} tells
 * whether the file itself is the problem (not a pidfile at all: a directory, FIFO, symlink,
 * config file — the CLI's exit 2, nothing was changed) or the request was refused (an unlocked
 * pidfile naming a process whose identity was not stated, pid 1, another user's file — exit 1).
 */
public final class PidfileException extends IOException {
    private static final long serialVersionUID = 1L;

    private final boolean badInput;

    private PidfileException(String message, boolean badInput) {
        super(message);
        this.badInput = badInput;
    }

    /** The path is not a usable pidfile. */
    public static PidfileException notAPidfile(String message) {
        return new PidfileException(message, true);
    }

    /** daemonkit refuses to act on what the pidfile names. */
    public static PidfileException refused(String message) {
        return new PidfileException(message, false);
    }

    /** True: bad input (nothing was changed); false: refused. */
    public boolean badInput() {
        return badInput;
    }
}
