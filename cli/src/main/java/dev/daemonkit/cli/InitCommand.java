package dev.daemonkit.cli;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.process.ExecException;
import dev.daemonkit.process.RelayedSignals;
import dev.daemonkit.process.Spawn;
import dev.daemonkit.supervise.ContainerInit;
import java.io.PrintStream;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** {@code daemonkit init}: a container's PID 1 with tini / dumb-init semantics. */
final class InitCommand implements Command {
    /** Exit status when CMD does not exist (as sh and tini). */
    static final int NOT_FOUND = 127;
    /** Exit status when CMD exists but cannot be executed (as sh and tini). */
    static final int CANNOT_EXECUTE = 126;

    @Override
    public String name() {
        return "init";
    }

    @Override
    public String summary() {
        return "a container's PID 1: run CMD, relay signals, reap orphans, exit with CMD's status";
    }

    @Override
    public String usage() {
        return """
            usage: daemonkit init [--process-group] [--subreaper] [--map-signal FROM:TO]... -- CMD [ARGS...]

            Runs CMD as a container's init, as tini and dumb-init do. Every signal 1-31 that can be
            caught is relayed to CMD, except SIGCHLD and the four HotSpot keeps for itself (SIGSEGV,
            SIGBUS, SIGFPE, SIGILL: sent to init from outside, they crash its JVM). After relaying
            SIGTSTP, SIGTTIN or SIGTTOU, init stops itself too (not as PID 1: the kernel ignores it).
            As PID 1 (or with --subreaper) init reaps every orphan it inherits. When CMD exits, init
            sends SIGTERM to the processes it adopted that still run, SIGKILL to those left after
            5 s, and exits with CMD's status.

            options:
              --process-group          start CMD in a process group of its own and relay signals to
                                       the whole group (dumb-init's default, tini -g); SIGTSTP, SIGTTIN,
                                       SIGTTOU go out as SIGSTOP then, as in dumb-init, unless mapped;
                                       when CMD exits, the rest of its group gets SIGTERM, then SIGKILL
              --subreaper              become a child subreaper (tini -s): orphans are adopted and
                                       reaped even when init is not PID 1
              --map-signal FROM:TO     relay FROM as TO (TERM:QUIT); TO 0 means do not relay FROM;
                                       repeatable, or FROM:TO,FROM:TO

            Start it through ./daemonkit (or the daemonkit launcher of your image): that starts the
            JVM with -Xrs, the relayed signals blocked and HotSpot's suspend signal moved off
            SIGUSR2. Started otherwise (java -jar), init starts its JVM again that way (same pid).

            exit: CMD's exit status, 128+N if signal N killed it; 127 CMD not found, 126 CMD not
                  executable (as sh and tini); 2 bad usage (nothing started); 1 init itself failed.""";
    }

    @Override
    public int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Args a = Args.parse(name(), argv, Set.of("map-signal"), Set.of("process-group", "subreaper"), 0);
        List<String> command = a.requireCommand();
        ContainerInit.Builder b = ContainerInit.builder(command).processGroup(a.flag("process-group"))
                .subreaper(a.flag("subreaper"));
        for (String v : a.all("map-signal")) {
            for (String pair : v.split(",", -1)) {
                mapSignal(b, pair);
            }
        }
        // Options are checked: now make sure this JVM can take every relayed signal (this may
        // start it again, with the same pid, and come back here).
        Set<Signal> missing = RelayedSignals.reexecIfNeeded();
        if (!missing.isEmpty()) {
            err.println("daemonkit init: cannot relay " + missing.stream().map(Signal::shortName)
                    .collect(Collectors.joining(" ")) + " (not blocked in every thread of this JVM)");
        }
        try {
            return b.build().run();
        } catch (PosixException e) {
            boolean notFound = e.errno() == Errno.ENOENT;
            if (notFound || e.errno() == Errno.EACCES || e.errno() == Errno.ENOEXEC || e.errno() == Errno.EISDIR) {
                // Said as start says it ("no such file", "is a directory", "is not executable
                // (chmod +x ...?)", "bad interpreter"), with the shell's exit statuses 127 and 126.
                err.println("daemonkit init: " + whyNotExecuted(command.get(0), notFound ? "command not found"
                        : "cannot execute: " + (e.errno() != null ? e.errno().description() : e.errnoName())));
                return notFound ? NOT_FOUND : CANNOT_EXECUTE;
            }
            throw e;
        }
    }

    /**
     * Why {@code program} could not be executed, in start's words ({@link Spawn#findProgram}); the
     * errno's own text when that finds nothing wrong (the file changed in between).
     */
    private static String whyNotExecuted(String program, String fallback) {
        try {
            Spawn.findProgram(program);
            return program + ": " + fallback;
        } catch (ExecException x) {
            return x.getMessage();
        }
    }

    private static void mapSignal(ContainerInit.Builder b, String pair) throws UsageException {
        String[] ft = pair.split(":", -1);
        if (ft.length != 2) {
            throw new UsageException("--map-signal needs FROM:TO like TERM:QUIT (TO 0: do not relay): " + pair);
        }
        try {
            Signal from = Signal.parse(ft[0]);
            if (!RelayedSignals.wanted().contains(from)) {
                throw new UsageException("--map-signal: " + from + " is never relayed, so it cannot be mapped");
            }
            int to = ft[1].trim().equals("0") ? 0 : Signal.parse(ft[1]).number();
            b.mapSignal(from, to);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--map-signal: " + e.getMessage());
        }
    }
}
