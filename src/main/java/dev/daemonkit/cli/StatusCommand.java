package dev.daemonkit.cli;

import dev.daemonkit.daemon.DaemonControl;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code daemonkit status}: LSB status codes. */
final class StatusCommand implements Command {
    @Override
    public String name() {
        return "status";
    }

    @Override
    public String summary() {
        return "is the daemon running? (LSB codes 0/1/3/4)";
    }

    @Override
    public String usage() {
        return """
            usage: daemonkit status --pidfile P

            Prints the pid, uptime and command of the daemon holding the pidfile's lock.

            exit (LSB): 0 running; 1 dead but pidfile exists; 3 not running; 4 unknown (unreadable
                  pidfile, a symlink...); 2 bad usage.""";
    }

    @Override
    public int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Args a = Args.parse(name(), argv, Set.of("pidfile"), Set.of(), 0);
        DaemonControl.Status s = DaemonControl.status(Path.of(a.require("pidfile")));
        (s.lsbCode() == 4 ? err : out).println(s.describe());
        return s.lsbCode();
    }
}
