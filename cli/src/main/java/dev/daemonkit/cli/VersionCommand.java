package dev.daemonkit.cli;

import dev.daemonkit.posix.Posix;
import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/** {@code daemonkit version}: versions of daemonkit, the JVM and the platform it binds to. */
final class VersionCommand implements Command {
    @Override
    public String name() {
        return "version";
    }

    @Override
    public String summary() {
        return "print daemonkit, Java and platform versions";
    }

    @Override
    public String usage() {
        return "usage: daemonkit version\n\nPrints the daemonkit version, the Java runtime and the libc target.";
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) throws UsageException {
        Args.parse(name(), args, Set.of(), Set.of(), 0);
        out.println("daemonkit " + Main.version());
        out.println("java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")");
        out.println("platform linux/" + Posix.architecture() + " glibc");
        return OK;
    }
}
