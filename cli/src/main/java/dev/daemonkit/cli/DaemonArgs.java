package dev.daemonkit.cli;

import dev.daemonkit.daemon.DaemonLauncher;
import dev.daemonkit.daemon.DaemonOptions;
import dev.daemonkit.notify.ServiceProtocol;
import dev.daemonkit.supervise.ProgramOptions;
import dev.daemonkit.supervise.ProgramSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The options shared by start, restart and run, turned into {@link DaemonOptions}. */
final class DaemonArgs {
    private DaemonArgs() {
    }

    static final Set<String> VALUED = with(Set.of("pidfile", "log", "chdir", "umask", "ready-timeout", "user", "group",
            "env", "grace"), false);
    static final Set<String> FLAGS = with(Set.of("wait-ready", "prevent-core", "forking"), true);

    /** {@code base} plus the service protocol's valued options (or switches) from the program option table. */
    private static Set<String> with(Set<String> base, boolean switches) {
        Set<String> all = new java.util.HashSet<>(base);
        ProgramOptions.serviceOptions().stream().filter(o -> o.isSwitch() == switches).forEach(o -> all.add(o.flag()));
        return Set.copyOf(all);
    }

    /** What run takes: the set-up of a daemon, without the start-up checks of a detached one. */
    static final Set<String> RUN_VALUED = Set.of("pidfile", "log", "chdir", "umask", "user", "group", "env");

    /** The options of start and restart, as --help lists them. */
    static final String OPTIONS_HELP = indent("""
            --pidfile P          pidfile, created 0644 and locked for the daemon's life
            --log FILE           append the daemon's stdout and stderr here (default /dev/null)
            --chdir DIR          working directory (default /)
            --umask MASK         octal umask (default 022; 0 like the classic recipe)
            --ready-timeout D    how long to wait for a daemonkit-aware program to report ready
                                 (default 10s; --start-timeout is the same setting)
            --wait-ready         require that report (Daemon.ready() or READY on fd 3) instead of
                                 accepting a program that merely settled or stayed alive (--grace)
            --grace D            a plain program (one that reports no readiness) counts as started
                                 once alive for D (default 1s, supervisord's startsecs)
            --grace settled      ... or once it has settled (every process of it asleep, no CPU
                                 used for 5 ms; at most 1s): returns in ~80 ms instead of ~1.1 s,
                                 but a program that waits on a database, DNS or a lock for a few
                                 ms and then fails is reported as started
            --forking            the program puts itself in the background and writes its own
                                 pidfile (nginx, redis daemonize yes; systemd Type=forking +
                                 PIDFile=): --pidfile is that file; success once the first process
                                 exited 0 and the file names a process daemonkit started (within
                                 --ready-timeout)
            --user U             run as this user (name or uid); needs root
            --group G            with --user: this group instead of the user's primary group
            --env NAME=VALUE     extra environment variable (repeatable)
            --prevent-core       RLIMIT_CORE 0: no core dumps (python-daemon's prevent_core)

            systemd/s6 readiness and socket activation (start and restart; see supervise):""")
            + "\n" + ProgramOptions.help(ProgramOptions.serviceOptions().stream()
                    .filter(o -> !o.flag().equals("watchdog")).toList(), ProgramSpec.builder("CMD", List.of("CMD")).build())
            + "\n  The launcher reads NOTIFY_SOCKET only until READY=1 (then returns; 'status' shows the"
            + "\n  last STATUS= sent); --watchdog needs a process that stays: use supervise (with"
            + "\n  --pidfile to run it in the background). --listen sockets are the daemon's alone once"
            + "\n  it is up.";

    /** The options of run. */
    static final String RUN_OPTIONS_HELP = indent("""
            --pidfile P          pidfile, created 0644 and locked while the command runs
            --log FILE           append the command's stdout and stderr here (default: inherited,
                                 the terminal or the journal)
            --chdir DIR          working directory (default /, as for start)
            --umask MASK         octal umask (default 022)
            --user U             run the command as this user (name or uid); needs root
            --group G            with --user: this group instead of the user's primary group
            --env NAME=VALUE     extra environment variable (repeatable)""");

    /** Option lines indented by two spaces, as every command's --help shows them. */
    static String indent(String lines) {
        return lines.indent(2).stripTrailing();
    }

    static Args parse(String command, List<String> argv, boolean pidfileRequired) throws UsageException {
        boolean run = command.equals("run");
        Args a = Args.parse(command, argv, run ? RUN_VALUED : VALUED, run ? Set.of() : FLAGS, 0);
        if (pidfileRequired) {
            a.require("pidfile");
        }
        checkForking(a);
        return a;
    }

    /** --forking: the program's own pidfile is watched; the readiness options of other programs do not apply. */
    static void checkForking(Args a) throws UsageException {
        if (a.get("watchdog").isPresent()) {
            throw new UsageException("--watchdog needs a process that keeps watching the program after it started;"
                    + " start returns once it is ready. Use: daemonkit supervise --pidfile P --notify --watchdog D -- CMD");
        }
        boolean service = ProgramOptions.SERVICE_FLAGS.stream().anyMatch(f -> a.flag(f) || a.get(f).isPresent());
        if (service && a.commandName().equals("run")) {
            throw new UsageException("--notify, --ready-fd, --start-timeout and --listen apply to start and restart"
                    + " (and supervise); run keeps the program in the foreground");
        }
        if (!a.flag("forking")) {
            return;
        }
        if (service) {
            throw new UsageException("--forking and the readiness options (--notify, --ready-fd, --start-timeout,"
                    + " --listen) do not go together: a forking program is started once its pidfile names the daemon");
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
        if (a.get("ready-timeout").isPresent() && a.get("start-timeout").isPresent()) {
            throw new UsageException("--ready-timeout and --start-timeout are the same setting: give one");
        }
        DaemonOptions.Builder b = DaemonOptions.builder()
                .umask(a.octal("umask", 022))
                .readyTimeout(a.duration(a.get("start-timeout").isPresent() ? "start-timeout" : "ready-timeout",
                        ServiceProtocol.NONE.startTimeout()))
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

    /** --notify, --ready-fd, --start-timeout, --listen, read through the program option table. */
    static ServiceProtocol service(Args a) throws UsageException {
        ProgramSpec.Builder b = ProgramSpec.builder("start", List.of("CMD"));
        return SuperviseArgs.apply(a, ProgramOptions.serviceOptions(), b).service();
    }

    /** --grace D: alive for all of D (default 1 s); --grace settled: settled, or alive after 1 s. */
    static DaemonLauncher.Grace grace(Args a) throws UsageException {
        Optional<String> given = a.get("grace");
        if (given.isEmpty()) {
            return DaemonLauncher.DEFAULT_GRACE;
        }
        if (given.get().equals("settled")) {
            return DaemonLauncher.SETTLED;
        }
        try {
            return DaemonLauncher.Grace.full(a.duration("grace", Duration.ZERO));
        } catch (UsageException e) {
            throw new UsageException(e.getMessage().replace("(a bare number is seconds)",
                    "(a bare number is seconds), or settled"));
        }
    }

    /** Checks everything checkable before starting; bad input becomes exit 2. */
    static void check(DaemonOptions o, List<String> command) throws UsageException {
        try {
            DaemonLauncher.check(o, command);
        } catch (IllegalArgumentException e) {
            throw UsageException.badInput(e.getMessage());
        }
    }
}
