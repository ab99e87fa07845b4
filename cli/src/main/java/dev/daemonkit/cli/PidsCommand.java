package dev.daemonkit.cli;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.ProcessControl;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.process.CappedRun;
import dev.daemonkit.process.ChildProcess;
import dev.daemonkit.process.JvmSignals;
import dev.daemonkit.process.PidLimits;
import dev.daemonkit.process.PidsSandbox;
import dev.daemonkit.process.Reaper;
import dev.daemonkit.process.Spawn;
import dev.daemonkit.process.ZombieExperiment;
import dev.daemonkit.process.ZombieReport;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code daemonkit pids}: the limits that decide when fork fails, a command run under a pids
 * limit of its own, and the zombie experiment — for people who want to see how their programs
 * behave when pids run out.
 */
final class PidsCommand implements Command {
    private static final Logger LOG = LoggerFactory.getLogger(PidsCommand.class);
    /** PID_MAX_LIMIT on 64-bit Linux: no pids.max above it means anything. */
    static final int MAX_PIDS_MAX = 4_194_304;

    @Override
    public String name() {
        return "pids";
    }

    @Override
    public String summary() {
        return "pid limits in effect; run a command under a pids limit; the zombie experiment";
    }

    @Override
    public String usage() {
        return """
            usage: daemonkit pids [--json]
                   daemonkit pids --max N [--json] -- CMD [ARGS...]
                   daemonkit pids --zombies N [--json]

            Without options: every limit that can make fork or thread creation fail with EAGAIN,
            as it applies to this process: pid_max, threads-max, pids.max and pids.current of each
            cgroup from this one up to the root, RLIMIT_NPROC, and the headroom: how many more
            tasks the tightest of them allows.

              --max N -- CMD  runs CMD in a pids cgroup of its own with pids.max N (CMD and all it
                              starts, threads included), then reports how many forks and thread
                              creations the kernel refused (pids.events), the peak and CMD's exit
                              status. Signals (TERM, INT, HUP, USR1, USR2) are passed on to CMD;
                              what it leaves running is killed and the cgroup removed. Needs root
                              or a delegated cgroup (v1 or v2 pids controller).
              --zombies N     the zombie experiment: N children that exit at once and are not
                              reaped, inside a pids cgroup of its own (root), or for other users
                              under RLIMIT_NPROC lowered to their tasks + N. Reports the refusal
                              (errno and which limit), creation time as zombies pile up, kernel
                              memory per zombie and reap time; reaps every one. N is refused when
                              the machine could not spare that many pids.
              --json          the result as one JSON object on stdout

            exit: 0 done (--max: CMD's status, 128+N if signal N killed it); 1 no pids cgroup can be
            made (the message names what is needed) or the experiment failed; 2 bad usage or
            values (nothing was created).""";
    }

    @Override
    public int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Args a = Args.parse(name(), argv, Set.of("max", "zombies"), Set.of("json"), 0);
        boolean json = a.flag("json");
        if (a.get("max").isPresent() && a.get("zombies").isPresent()) {
            throw new UsageException("--max and --zombies do not go together");
        }
        if (a.get("max").isPresent()) {
            int max = a.integer("max", 0, 1, MAX_PIDS_MAX);
            List<String> command = a.requireCommand();
            try {
                Spawn.findProgram(command.getFirst());
            } catch (dev.daemonkit.process.ExecException e) {
                throw UsageException.badInput(e.getMessage());
            }
            return capped(max, command, json, out, err);
        }
        if (a.hasCommand()) {
            throw new UsageException("a command after -- needs --max N");
        }
        if (a.get("zombies").isPresent()) {
            return zombies(a.integer("zombies", 0, 1, ZombieExperiment.HARD_CAP), json, out, err);
        }
        PidLimits limits = PidLimits.read();
        if (json) {
            out.println(limits.toJson());
        } else {
            limits.describe().forEach(out::println);
        }
        return OK;
    }

    private int capped(int max, List<String> command, boolean json, PrintStream out, PrintStream err) throws Exception {
        PidsSandbox sb;
        try {
            sb = PidsSandbox.create("run", max);
        } catch (PidsSandbox.Unavailable e) {
            err.println("daemonkit pids: " + e.getMessage() + " (to limit a user's tasks without root: "
                    + "prlimit --nproc=N CMD)");
            return FAILED;
        }
        CappedRun run;
        try (sb) {
            // Orphans of CMD come to us and are reaped (by pid, via waitpid(-1): this JVM has no other children).
            ProcessControl.setChildSubreaper(true);
            Reaper.ownAllChildren(s -> LOG.debug("reaped an orphan of the command: {}", s));
            ChildProcess child = Spawn.of(sb.wrap(command)).start();
            JvmSignals.handle(RunCommand.FORWARDED, JvmSignals.WhenIgnored.LEAVE, s -> {
                try {
                    child.signal(s);
                } catch (PosixException e) {
                    LOG.debug("forwarding {}: {}", s, e.getMessage());
                }
            });
            WaitStatus status = child.waitFor();
            int left = sb.killAll(Signal.SIGKILL);
            if (!sb.awaitEmpty(Duration.ofSeconds(10))) {
                err.println("daemonkit pids: " + sb.cgroup().current().orElse(-1) + " tasks still in " + sb.cgroup().path()
                        + " 10 s after SIGKILL");
            }
            // Read before close() removes the cgroup and its counters with it.
            run = new CappedRun(command, max, sb.cgroup().refused(), sb.cgroup().peak(), status, left, sb.cgroup().path());
        }
        if (run.peak().orElse(1) == 0) {
            err.println("daemonkit pids: the command never ran inside " + run.cgroup() + " (the shell could not join it)");
            return FAILED;
        }
        if (json) {
            out.println(run.toJson());
        } else {
            run.describe().forEach(out::println);
        }
        return run.status().shellExitCode();
    }

    private int zombies(int n, boolean json, PrintStream out, PrintStream err) throws Exception {
        ZombieReport r;
        try {
            r = ZombieExperiment.of(n).autoReapChecks(2 * n).run();
        } catch (IllegalArgumentException e) {
            throw new UsageException("--zombies: " + e.getMessage());
        } catch (PidsSandbox.Unavailable e) {
            err.println("daemonkit pids: " + e.getMessage());
            return FAILED;
        }
        if (json) {
            out.println(r.toJson());
        } else {
            r.describe().forEach(out::println);
        }
        if (r.zombiesLeft() > 0) {
            err.println("daemonkit pids: " + r.zombiesLeft() + " zombies left after reaping");
            return FAILED;
        }
        if (!r.limitReached()) {
            err.println("daemonkit pids: the experiment ended before its limit was reached: " + r.refusal().limit());
            return FAILED;
        }
        if (!r.exact()) {
            err.println("daemonkit pids: " + r.zombies() + " zombies where the limit left room for " + r.fence().room()
                    + " at the start: " + (r.chargedAtLimit() - r.zombies()) + " other tasks counted at the limit, "
                    + r.fence().tasksBefore() + " at the start (a JVM thread came or went)");
        }
        return OK;
    }
}
