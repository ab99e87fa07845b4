package dev.daemonkit.process;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.PosixException;

/**
 * A program could not be started, explained the way a shell would: "command not found", "is a
 * directory", "is not executable (chmod +x?)", "bad interpreter". The errno of the failed exec
 * stays available through {@link #errno()}.
 */
public final class ExecException extends PosixException {
    private static final long serialVersionUID = 1L;

    ExecException(String program, String why, Errno errno) {
        super(program + ": " + why, "posix_spawn(" + program + ")", errno.number());
    }
}
