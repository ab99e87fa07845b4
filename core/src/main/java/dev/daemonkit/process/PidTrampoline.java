package dev.daemonkit.process;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Environment variables that must hold the child's own pid — systemd's LISTEN_PID and
 * WATCHDOG_PID, which tell a program that the sockets and the watchdog are meant for it and not
 * for a child it spawns later. posix_spawn cannot know the pid before the child exists, and a JVM
 * must not fork to set it in between; systemd-socket-activate forks and sets it before exec. The
 * conventional equivalent without a fork of our own is an exec trampoline: the child starts as
 * {@code /bin/sh -c 'export LISTEN_PID=$$; exec "$@"' sh PROGRAM ARGS...}. {@code $$} is the
 * shell's pid, and {@code exec} replaces the shell by the program in the same process, so the pid
 * is the program's. Descriptors, signal mask and ignored signals survive both execs; the program's
 * argv[0] becomes its resolved path.
 */
final class PidTrampoline {
    static final String SHELL = "/bin/sh";
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private PidTrampoline() {
    }

    /** The argv that runs {@code program} with each of {@code names} set to its pid. */
    static List<String> wrap(List<String> names, String program, List<String> args) {
        StringBuilder script = new StringBuilder("export");
        for (String n : names) {
            if (!NAME.matcher(n).matches()) {
                throw new IllegalArgumentException("not an environment variable name: " + n);
            }
            script.append(' ').append(n).append("=$$");
        }
        script.append("; exec \"$@\"");
        List<String> argv = new ArrayList<>(List.of(SHELL, "-c", script.toString(), "daemonkit-exec", program));
        argv.addAll(args);
        return argv;
    }
}
