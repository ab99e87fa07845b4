package dev.daemonkit.daemon;

import java.io.IOException;

/**
 * A daemon did not come up: it died at once, reported an error, or was not ready in time. The
 * message says which, with the exit status and the tail of its log when there is one.
 */
public final class StartFailedException extends IOException {
    private static final long serialVersionUID = 1L;

    public StartFailedException(String message) {
        super(message);
    }
}
