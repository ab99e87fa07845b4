package dev.daemonkit.cli;

import dev.daemonkit.daemon.Daemon;
import dev.daemonkit.daemon.DaemonOptions;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.supervise.ProgramOption;
import dev.daemonkit.supervise.ProgramOptions;
import dev.daemonkit.supervise.ProgramSpec;
import dev.daemonkit.supervise.ProgramState;
import dev.daemonkit.supervise.Supervisor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The command line of supervise and prefork: a program's options from the library's table
 * ({@link ProgramOptions}, the same as a config file's keys), the supervisor's own options, and
 * daemonizing; the supervising itself is {@link Supervisor#runUntilDone}.
 */
final class SuperviseArgs {
    private SuperviseArgs() {
    }

    /** Makes the program list once the process is the one that will supervise (after daemonizing). */
    @FunctionalInterface
    interface Programs {
        List<ProgramSpec> get() throws IOException;
    }

    /** The supervisor's own options; a program's options come from {@link ProgramOptions}. */
    static final Set<String> SUPERVISOR_VALUED = Set.of("pidfile", "log", "control", "remap-exit");
    static final Set<String> SUPERVISOR_FLAGS = Set.of("subreaper");

    private static final List<List<String>> SUPERVISOR_HELP = List.of(
            List.of("--remap-exit N", "report the program's exit status N as 0 (tini -e)"),
            List.of("--subreaper", "become a child subreaper: orphans of the program are re-parented to the"),
            List.of("", "supervisor and reaped (programs that double-fork; containers)"),
            List.of("--pidfile P", "daemonize the supervisor itself (x.pid: control socket x.sock)"),
            List.of("--log FILE", "the supervisor's own log when daemonized"),
            List.of("--control SOCK", "control socket path (owner-only) for 'daemonkit ctl'"));

    /** The program options {@code command} takes: all of them, but prefork's copies are its --workers. */
    static List<ProgramOption> programOptions(String command) {
        // prefork's copies are its --workers, and its --listen HOST:PORT is the one socket they share.
        return ProgramOptions.all().stream().filter(o -> !(command.equals("prefork")
                && (o.flag().equals("numprocs") || o.flag().equals("listen")))).toList();
    }

    /** The help of {@code command}'s program options (with the defaults {@code defaults} has), then the supervisor's. */
    static String optionsHelp(String command, ProgramSpec defaults) {
        StringBuilder sb = new StringBuilder(ProgramOptions.help(programOptions(command), defaults));
        SUPERVISOR_HELP.forEach(l -> sb.append('\n').append(String.format("  %-24s %s", l.get(0), l.get(1))));
        return sb.toString();
    }

    /** {@code items} joined by ", " into lines of at most {@code width} characters, each starting with {@code indent}. */
    static String wrap(List<String> items, String indent, int width) {
        StringBuilder out = new StringBuilder();
        StringBuilder line = new StringBuilder(indent);
        for (int i = 0; i < items.size(); i++) {
            String item = items.get(i) + (i + 1 < items.size() ? "," : "");
            if (line.length() > indent.length() && line.length() + 1 + item.length() > width) {
                out.append(line).append('\n');
                line = new StringBuilder(indent);
            }
            line.append(line.length() > indent.length() ? " " : "").append(item);
        }
        return out.append(line).toString();
    }

    static Args parse(String command, List<String> argv, Set<String> moreValued) throws UsageException {
        Set<String> valued = new HashSet<>(SUPERVISOR_VALUED);
        valued.addAll(moreValued);
        Set<String> flags = new HashSet<>(SUPERVISOR_FLAGS);
        for (ProgramOption o : programOptions(command)) {
            (o.isSwitch() ? flags : valued).add(o.flag());
        }
        return Args.parse(command, argv, valued, flags, 0);
    }

    /** Applies the program options given on the command line to {@code b} and builds the spec. */
    static ProgramSpec program(Args a, ProgramSpec.Builder b) throws UsageException {
        return apply(a, programOptions(a.commandName()), b);
    }

    /** Applies {@code options} as given on the command line to {@code b} and builds the spec. */
    static ProgramSpec apply(Args a, List<ProgramOption> options, ProgramSpec.Builder b) throws UsageException {
        Path cwd = Path.of("").toAbsolutePath();
        for (ProgramOption o : options) {
            List<String> values = o.isSwitch() ? (a.flag(o.flag()) ? List.of("true") : List.of()) : a.all(o.flag());
            if (values.size() > 1 && !o.repeatable()) {
                throw new UsageException("--" + o.flag() + " is given more than once");
            }
            for (String v : values) {
                try {
                    o.apply(b, v, cwd);
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--" + o.flag() + ": " + e.getMessage());
                }
            }
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    static void checkProgram(List<String> command) throws UsageException {
        try {
            dev.daemonkit.process.Spawn.findProgram(command.get(0));
        } catch (dev.daemonkit.process.ExecException e) {
            throw UsageException.badInput(e.getMessage());
        }
    }

    /** A program's logs as the supervisor will open them (no link another user planted): exit 2 before anything starts. */
    static void checkLogs(dev.daemonkit.supervise.ProgramSpec s) throws UsageException {
        for (Path log : new Path[] {s.stdoutLog(), s.stderrLog()}) {
            String problem = log == null ? null : dev.daemonkit.daemon.LogFile.problem(log, false);
            if (problem != null) {
                throw UsageException.badInput(problem);
            }
        }
    }

    /** The control socket: --control, else next to the pidfile. */
    static Optional<Path> controlPath(Args a) {
        if (a.get("control").isPresent()) {
            return Optional.of(Path.of(a.get("control").get()).toAbsolutePath());
        }
        return a.get("pidfile").map(p -> {
            String s = Path.of(p).toAbsolutePath().toString();
            return Path.of((s.endsWith(".pid") ? s.substring(0, s.length() - 4) : s) + ".sock");
        });
    }

    /**
     * Programs without a --directory run where supervise was started, as they would in the
     * foreground — not in "/", where a daemonized supervisor goes: {@code -- ./daemonkit serve
     * --root .} detached must serve the same directory, not the whole file system. The JVM's
     * user.dir stays the launch directory after the daemon's chdir.
     */
    private static List<ProgramSpec> inLaunchDirectory(List<ProgramSpec> specs) {
        Path launch = Path.of("").toAbsolutePath();
        return specs.stream().map(s -> s.directory() != null ? s : s.toBuilder().directory(launch).build()).toList();
    }

    /**
     * Daemonizes if asked, runs the supervisor until it is done, handles signals, returns the
     * exit status.
     */
    static int runSupervisor(Args a, Programs programs, Supervisor.Mode mode, PrintStream err) throws Exception {
        if (a.get("log").isPresent() && a.get("pidfile").isEmpty()) {
            throw new UsageException("--log is the daemonized supervisor's log: add --pidfile");
        }
        int remap = a.integer("remap-exit", -1, 0, 255);
        if (a.get("pidfile").isPresent()) {
            // Before the control socket beside it; whether it is writable (and why not) is the
            // launcher's check, as for start.
            Path dir = Path.of(a.get("pidfile").get()).toAbsolutePath().getParent();
            if (!Files.isDirectory(dir)) {
                throw UsageException.badInput("pidfile directory " + dir + " does not exist");
            }
        }
        Optional<Path> control = controlPath(a);
        if (control.isPresent() && !Files.isDirectory(control.get().getParent())) {
            throw UsageException.badInput("control socket directory " + control.get().getParent() + " does not exist");
        }
        Optional<Daemon> daemon = Optional.empty();
        if (a.get("pidfile").isPresent()) {
            DaemonOptions.Builder o = DaemonOptions.builder().name("daemonkit " + a.commandName())
                    .pidfile(Path.of(a.get("pidfile").get()));
            a.get("log").ifPresent(l -> o.log(Path.of(l)));
            // The supervisor forwards HUP/USR1/USR2 to its programs, so it must not ignore them.
            o.ignoredSignals(Set.of(Signal.SIGPIPE, Signal.SIGTTIN, Signal.SIGTTOU));
            daemon = Optional.of(Daemon.daemonize(o.build()));
        }
        Supervisor sup;
        int count;
        try {
            List<ProgramSpec> specs = inLaunchDirectory(programs.get());
            count = specs.size();
            Supervisor.Builder builder = Supervisor.builder().programs(specs).mode(mode).subreaper(a.flag("subreaper"))
                    .controlSocket(control.orElse(null));
            if (remap >= 0) {
                builder.remapExit(remap);
            }
            sup = builder.build();
        } catch (IOException e) {
            daemon.ifPresent(d -> d.failed(e.getMessage()));
            err.println("daemonkit " + a.commandName() + ": " + e.getMessage());
            return Command.FAILED;
        }
        try (sup) {
            Optional<Daemon> d = daemon;
            Supervisor s = sup;
            int status = sup.runUntilDone(() -> d.ifPresent(x -> readyOnceStarted(s, x, count)));
            // Done before it was ready (its one program went FATAL): the launcher says why (a no-op once ready).
            d.ifPresent(x -> fatal(s.status()).ifPresent(x::failed));
            return status;
        }
    }

    /**
     * A daemonized supervisor is ready once every program is RUNNING (past its --start-seconds, or
     * ready by --notify) or has ended; one that went FATAL meanwhile fails the start (the launcher
     * exits 1 naming it, and the supervisor shuts down), as {@code start} fails a program that dies
     * at once — not "started" followed by a crash loop nobody sees but in the log. A program still
     * starting after {@link #READY_WAIT} does not hold the launcher past its timeout: ready then.
     */
    private static void readyOnceStarted(Supervisor sup, Daemon daemon, int count) {
        Thread.ofPlatform().daemon(true).name("readiness").start(() -> {
            long deadline = System.nanoTime() + READY_WAIT.toNanos();
            while (true) {
                List<Supervisor.ProcessStatus> now = sup.status();
                Optional<String> fatal = fatal(now);
                if (fatal.isPresent()) {
                    daemon.failed(fatal.get());
                    sup.shutdown();
                    return;
                }
                boolean settled = now.stream().allMatch(p -> p.state() == ProgramState.RUNNING || p.state().isFinal());
                if (settled || System.nanoTime() > deadline) {
                    daemon.ready("supervising " + count + " program(s)");
                    return;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /** How long a daemonized supervisor's start waits for its programs (the launcher waits 10 s). */
    private static final java.time.Duration READY_WAIT = java.time.Duration.ofSeconds(8);

    /** "program NAME entered FATAL: reason" for the first FATAL program. */
    private static Optional<String> fatal(List<Supervisor.ProcessStatus> status) {
        return status.stream().filter(p -> p.state() == ProgramState.FATAL).findFirst()
                .map(p -> "program " + p.name() + " entered FATAL: " + p.lastReason());
    }
}
