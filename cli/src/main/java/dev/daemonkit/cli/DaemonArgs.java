package dev.daemonkit.cli;

import dev.daemonkit.daemon.DaemonLauncher;
import dev.daemonkit.daemon.DaemonOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** The options shared by start, restart and run, turned into {@link DaemonOptions}. */
final class DaemonArgs {
    private DaemonArgs() {
    }

    static final Set<String> VALUED = Set.of("pidfile", "log", "chdir", "umask", "ready-timeout", "user", "group",
            "env", "grace");
    static final Set<String> FLAGS = Set.of("wait-ready", "prevent-core", "forking");

    static final String OPTIONS_HELP = """
              --pidfile P          pidfile, created 0644 and locked for the daemon's life
              --log FILE           append the daemon's stdout and stderr here (default /dev/null)
              --chdir DIR          working directory (default /)
              --umask MASK         octal umask (default 022; 0 like the classic recipe)
              --ready-timeout D    how long to wait for a daemonkit-aware program to report ready (default 10s)
              --wait-ready         require that report (Daemon.ready() or READY on fd 3) instead of
                                   accepting a program that merely stayed alive for the grace period
              --grace D            how long a plain program must stay alive to count as started (default 1s)
              --forking            the program puts itself in the background and writes its own pidfile
                                   (nginx, redis daemonize yes; systemd Type=forking + PIDFile=): --pidfile
                                   is that file; success once the first process exited 0 and the file names
                                   a process daemonkit started (within --ready-timeout)
              --user U             run as this user (name or uid); needs root
              --group G            with --user: this group instead of the user's primary group
              --env NAME=VALUE     extra environment variable (repeatable)
              --prevent-core       RLIMIT_CORE 0: no core dumps (python-daemon's prevent_core)""";

    static Args parse(String command, List<String> argv, boolean pidfileRequired) throws UsageException {
        Args a = Args.parse(command, argv, VALUED, FLAGS, 0);
        if (pidfileRequired) {
            a.require("pidfile");
        }
        checkForking(a);
        return a;
    }

    /** --forking: the program's own pidfile is watched; the readiness options of other programs do not apply. */
    static void checkForking(Args a) throws UsageException {
        if (!a.flag("forking")) {
            return;
        }
        if (a.commandName().equals("run")) {
            throw new UsageException("--forking applies to start and restart: run keeps the program in the foreground");
        }
        for (String other : new String[] {"wait-ready", "grace"}) {
            if (a.get(other).isPresent()) {
                throw new UsageException("--forking and --" + other + " do not go together: a forking program is"
                        + " started once its first process exited 0 and its pidfile names the daemon");
            }
        }
    }

    static DaemonOptions options(Args a) throws UsageException {
        DaemonOptions.Builder b = DaemonOptions.builder()
                .umask(a.octal("umask", 022))
                .readyTimeout(a.duration("ready-timeout", Duration.ofSeconds(10)))
                .preventCore(a.flag("prevent-core"));
        a.get("pidfile").ifPresent(p -> b.pidfile(Path.of(p)));
        a.get("log").ifPresent(p -> b.log(Path.of(p)));
        a.get("chdir").ifPresent(p -> b.workingDirectory(Path.of(p)));
        a.get("user").ifPresent(b::user);
        if (a.get("group").isPresent()) {
            if (a.get("user").isEmpty()) {
                throw new UsageException("--group needs --user");
            }
            b.group(a.get("group").get());
        }
        for (String kv : a.all("env")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("--env needs NAME=VALUE: " + kv);
            }
            b.env(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return b.build();
    }

    static Duration grace(Args a) throws UsageException {
        return a.duration("grace", DaemonLauncher.DEFAULT_GRACE);
    }

    /** Checks everything checkable before starting; bad input becomes exit 2. */
    static void check(DaemonOptions o, List<String> command) throws UsageException {
        try {
            DaemonLauncher.check(o, command);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
