package dev.daemonkit.cli;

import dev.daemonkit.daemon.DaemonControl;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashSet;
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
            usage: daemonkit status --pidfile P [--exec PATH] [--user U]

            Prints the pid, uptime and command of the daemon holding the pidfile's lock; the pid
            written in the file is only a hint. A pidfile daemonkit did not lock (nginx's, an init
            script's) is reported as running while the pid it names is alive, marked unverified
            unless --exec/--user state what the process must be.

            options:
              --pidfile P          the pidfile
            """ + IdentityArgs.HELP + """


            exit (LSB): 0 running; 1 dead but pidfile exists (or the process does not match
                  --exec/--user); 3 not running; 4 unknown (not a pidfile, a symlink, another user's
                  file, a file that holds no pid); 2 bad usage.""";
    }

    @Override
    public int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Set<String> valued = new HashSet<>(IdentityArgs.VALUED);
        valued.add("pidfile");
        Args a = Args.parse(name(), argv, valued, Set.of(), 0);
        Path pidfile = Path.of(a.require("pidfile"));
        DaemonControl.Status s = DaemonControl.status(pidfile, IdentityArgs.parse(a));
        if (s.lsbCode() == 4) {
            err.println("daemonkit status: " + s.describe()); // a diagnostic, prefixed as every command's are
        } else {
            out.println(s.describe());
        }
        if (s.lsbCode() == 0) {
            // What a --notify program last said (STATUS=) before it became ready; display only.
            dev.daemonkit.daemon.StatusNote.read(pidfile).ifPresent(n -> out.println("status: " + n));
        }
        return s.lsbCode();
    }
}
