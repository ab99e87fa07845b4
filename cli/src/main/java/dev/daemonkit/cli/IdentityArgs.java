package dev.daemonkit.cli;

import dev.daemonkit.daemon.Identity;
import dev.daemonkit.daemon.Privileges;
import dev.daemonkit.posix.PosixException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code --exec PATH} and {@code --user NAME} for status, stop, reload and reopen-logs: the
 * identity a process named by an unlocked pidfile must have before daemonkit signals it.
 */
final class IdentityArgs {
    private IdentityArgs() {
    }

    static final Set<String> VALUED = Set.of("exec", "user");

    static final String HELP = DaemonArgs.indent("""
            --exec PATH          for a pidfile daemonkit did not lock (nginx's, an init script's):
                                 the program the process must run (checked against /proc/PID/exe)
            --user NAME          ... and/or the user it must run as (name or uid)""");

    static Identity parse(Args a) throws UsageException {
        Path exec = null;
        if (a.get("exec").isPresent()) {
            exec = Path.of(a.get("exec").get()).toAbsolutePath();
            if (!Files.isRegularFile(exec)) {
                throw new UsageException("--exec " + exec + ": no such program");
            }
        }
        Privileges.Account user = null;
        if (a.get("user").isPresent()) {
            try {
                user = Privileges.lookup(a.get("user").get(), null);
            } catch (PosixException e) {
                throw new UsageException("--user " + a.get("user").get() + ": " + e.getMessage());
            }
        }
        return Identity.of(exec, user);
    }
}
