package dev.daemonkit.cli;

/** Bad command-line input: the CLI prints the message and exits 2, having started or changed nothing. */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
