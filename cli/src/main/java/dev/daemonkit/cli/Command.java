package dev.daemonkit.cli;

import java.io.PrintStream;
import java.util.List;

/** One {@code daemonkit} subcommand. */
interface Command {
    /** Exit status: success. */
    int OK = 0;
    /** Exit status: the operation failed. */
    int FAILED = 1;
    /** Exit status: bad usage or input; nothing was started or changed. */
    int USAGE = 2;

    /** The word after {@code daemonkit}. */
    String name();

    /** One line for the command list. */
    String summary();

    /** The full {@code --help} text. */
    String usage();

    /** Runs it; throws UsageException for bad input (exit 2). */
    int run(List<String> args, PrintStream out, PrintStream err) throws UsageException, Exception;
}
