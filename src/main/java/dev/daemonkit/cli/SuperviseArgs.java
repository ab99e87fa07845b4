package dev.daemonkit.cli;

import dev.daemonkit.daemon.Daemon;
import dev.daemonkit.daemon.DaemonOptions;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.supervise.ControlServer;
import dev.daemonkit.supervise.ProgramSpec;
import dev.daemonkit.supervise.RestartPolicy;
import dev.daemonkit.supervise.Supervisor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;

/** The options shared by supervise and prefork, and the run loop both use. */
final class SuperviseArgs {
    private SuperviseArgs() {
    }

    /** Makes the program list once the process is the one that will supervise (after daemonizing). */
    @FunctionalInterface
    interface Programs {
        List<ProgramSpec> get() throws IOException;
    }

    static final Set<String> VALUED = Set.of("restart", "start-retries", "start-seconds", "backoff-max", "stop-signal",
            "stop-timeout", "pidfile", "log", "control", "program-log", "map-signal", "remap-exit", "exit-codes", "pdeathsig");
    static final Set<String> FLAGS = Set.of("subreaper", "signal-group");

    static final String OPTIONS_HELP = """
              --restart P          always | on-failure (default) | never: after an exit from RUNNING
              --exit-codes LIST    exit codes that count as success (default 0)
              --start-seconds S    it must stay up this long to count as started (default 1s)
              --start-retries N    failed starts in a row before FATAL (default 3)
              --backoff-max S      cap of the exponential wait between failed starts (default 30s)
              --stop-signal SIG    signal to stop it (default TERM); --stop-timeout S then SIGKILL (default 10s)
              --signal-group       give the program its own process group and signal the whole group
              --map-signal A:B     forward signal A as B, e.g. TERM:QUIT (repeatable; dumb-init -r)
              --remap-exit N       report exit status N as 0 (tini -e)
              --pdeathsig SIG      the program gets SIG if the supervisor dies, even by SIGKILL
                                   (PR_SET_PDEATHSIG, set through util-linux setpriv)
              --program-log FILE   the program's stdout and stderr, appended, rotated at 10 MiB, 5 kept
              --subreaper          become a child subreaper: orphans of the program are re-parented to
                                   the supervisor and reaped (for programs that double-fork; containers)
              --pidfile P          daemonize the supervisor itself (control socket P with .sock)
              --log FILE           the supervisor's own log when daemonized
              --control SOCK       control socket path (owner-only) for 'daemonkit ctl'""";

    static Args parse(String command, List<String> argv, Set<String> moreValued) throws UsageException {
        Set<String> valued = new HashSet<>(VALUED);
        valued.addAll(moreValued);
        return Args.parse(command, argv, valued, FLAGS, 0);
    }

    /** Applies the per-program options to a builder. */
    static ProgramSpec.Builder program(Args a, String name, List<String> command) throws UsageException {
        ProgramSpec.Builder b = ProgramSpec.builder(name, command);
        try {
            a.get("restart").ifPresent(r -> b.restart(RestartPolicy.parse(r)));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--restart: " + e.getMessage());
        }
        b.startRetries(a.integer("start-retries", 3, 0, 1000));
        b.startSeconds(a.duration("start-seconds", Duration.ofSeconds(1)));
        b.backoffMax(a.duration("backoff-max", Duration.ofSeconds(30)));
        b.stopSignal(a.signal("stop-signal", Signal.SIGTERM));
        b.stopTimeout(a.duration("stop-timeout", Duration.ofSeconds(10)));
        b.signalGroup(a.flag("signal-group"));
        if (a.get("pdeathsig").isPresent()) {
            b.parentDeathSignal(a.signal("pdeathsig", Signal.SIGTERM));
        }
        if (a.get("exit-codes").isPresent()) {
            Set<Integer> codes = new HashSet<>();
            for (String c : a.get("exit-codes").get().split(",")) {
                try {
                    codes.add(Integer.parseInt(c.trim()));
                } catch (NumberFormatException e) {
                    throw new UsageException("--exit-codes needs numbers like 0,2: " + a.get("exit-codes").get());
                }
            }
            b.exitCodes(codes);
        }
        for (String m : a.all("map-signal")) {
            String[] ft = m.split(":");
            try {
                if (ft.length != 2) {
                    throw new IllegalArgumentException("needs FROM:TO");
                }
                b.mapSignal(Signal.parse(ft[0]), Signal.parse(ft[1]));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--map-signal " + m + ": " + e.getMessage());
            }
        }
        a.get("program-log").ifPresent(l -> {
            Path p = Path.of(l).toAbsolutePath();
            b.stdoutLog(p).stderrLog(p);
        });
        return b;
    }

    static void checkProgram(List<String> command) throws UsageException {
        try {
            dev.daemonkit.process.Spawn.findProgram(command.get(0));
        } catch (dev.daemonkit.posix.PosixException e) {
            throw new UsageException(command.get(0) + ": command not found");
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
     * Daemonizes if asked, runs the supervisor until it is done, handles signals, returns the
     * exit status.
     */
    static int runSupervisor(Args a, Programs programs, Supervisor.Mode mode, PrintStream err) throws Exception {
        if (a.get("log").isPresent() && a.get("pidfile").isEmpty()) {
            throw new UsageException("--log is the daemonized supervisor's log: add --pidfile");
        }
        int remap = a.integer("remap-exit", -1, 0, 255);
        if (a.get("pidfile").isPresent()) {
            Path dir = Path.of(a.get("pidfile").get()).toAbsolutePath().getParent();
            if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
                throw new UsageException("pidfile directory " + dir + (Files.isDirectory(dir) ? " is not writable"
                        : " does not exist"));
            }
        }
        Optional<Path> control = controlPath(a);
        if (control.isPresent() && !Files.isDirectory(control.get().getParent())) {
            throw new UsageException("control socket directory " + control.get().getParent() + " does not exist");
        }
        Optional<Daemon> daemon = Optional.empty();
        if (a.get("pidfile").isPresent()) {
            DaemonOptions.Builder o = DaemonOptions.builder().pidfile(Path.of(a.get("pidfile").get()));
            a.get("log").ifPresent(l -> o.log(Path.of(l)));
            // The supervisor forwards HUP/USR1/USR2 to its programs, so it must not ignore them.
            o.ignoredSignals(Set.of(Signal.SIGPIPE, Signal.SIGTTIN, Signal.SIGTTOU));
            daemon = Optional.of(Daemon.daemonize(o.build()));
        }
        List<ProgramSpec> specs;
        try {
            specs = programs.get();
        } catch (IOException e) {
            daemon.ifPresent(d -> d.failed(e.getMessage()));
            err.println("daemonkit: " + e.getMessage());
            return Command.FAILED;
        }
        try (Supervisor sup = new Supervisor(specs, mode, a.flag("subreaper"))) {
            ControlServer ctl = null;
            try {
                if (control.isPresent()) {
                    ctl = new ControlServer(control.get(), sup);
                }
            } catch (IOException e) {
                daemon.ifPresent(d -> d.failed(e.getMessage()));
                err.println("daemonkit supervise: " + e.getMessage());
                return Command.FAILED;
            }
            SignalForwarding.forward(List.of(Signal.SIGTERM, Signal.SIGINT), s -> sup.shutdown());
            SignalForwarding.forward(List.of(Signal.SIGHUP, Signal.SIGUSR1, Signal.SIGUSR2), sup::forward);
            sup.start();
            daemon.ifPresent(d -> d.ready("supervising " + specs.size() + " program(s)"));
            int code;
            try {
                code = sup.finished().get();
            } catch (ExecutionException e) {
                code = Command.FAILED;
            }
            if (code == 1) {
                for (Supervisor.ProcessStatus s : sup.status()) {
                    if (s.state() == dev.daemonkit.supervise.ProgramState.FATAL) {
                        err.println("daemonkit supervise: program " + s.name() + " entered FATAL: " + s.lastReason());
                    }
                }
            }
            if (ctl != null) {
                ctl.close();
            }
            return code == remap ? 0 : code;
        }
    }
}
