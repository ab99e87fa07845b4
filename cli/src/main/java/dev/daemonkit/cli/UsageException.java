package dev.daemonkit.cli;

/**
 * Bad command-line input: the CLI prints the message and exits 2, having started or changed
 * nothing. A mistake in how the command was written (an unknown option, a missing value) also
 * points to --help; input that is well-formed but wrong (a command that does not exist, a
 * directory given as pidfile) does not — the help would not tell the user anything new.
 */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean pointToHelp;

    public UsageException(String message) {
        this(message, true);
    }

    private UsageException(String message, boolean pointToHelp) {
        super(message);
        this.pointToHelp = pointToHelp;
    }

    /** Well-formed but wrong input: exit 2, no pointer to --help. */
    public static UsageException badInput(String message) {
        return new UsageException(message, false);
    }

    /** Whether the CLI adds "usage: see daemonkit CMD --help". */
    public boolean pointsToHelp() {
        return pointToHelp;
    }
}
