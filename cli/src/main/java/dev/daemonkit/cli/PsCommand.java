package dev.daemonkit.cli;

import dev.daemonkit.posix.ByteStrings;
import dev.daemonkit.process.PidLimits;
import dev.daemonkit.process.ProcessInfo;
import dev.daemonkit.process.ProcessTable;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** {@code daemonkit ps}: the process table from /proc, zombies with their parents, pid limits. */
final class PsCommand implements Command {
    @Override
    public String name() {
        return "ps";
    }

    @Override
    public String summary() {
        return "list processes, zombies with their parents, and the pid limits";
    }

    @Override
    public String usage() {
        return """
            usage: daemonkit ps [--zombies] [--children PID]

            Reads /proc: PID, PPID, PGID, SID, TTY, STAT (R running, S sleeping, D disk wait,
            Z zombie, T stopped), elapsed time and command line.
              --zombies        only zombies, each with the parent that has not reaped it
              --children PID   only the direct children of PID
            Ends with the numbers that decide pid exhaustion: pid_max, threads-max, the tasks now,
            RLIMIT_NPROC and the pids cgroup limit.

            exit: 0 listed; 1 PID does not exist; 2 bad usage.""";
    }

    @Override
    public int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Args a = Args.parse(name(), argv, Set.of("children"), Set.of("zombies"), 0);
        if (a.hasCommand()) {
            throw new UsageException("no command goes after --");
        }
        if (a.get("children").isPresent()) {
            int pid = a.integer("children", 0, 1, Integer.MAX_VALUE);
            if (ProcessTable.of(pid).isEmpty()) {
                err.println("daemonkit ps: no process with pid " + pid);
                return FAILED;
            }
            List<ProcessInfo> kids = ProcessTable.children(pid);
            if (a.flag("zombies")) {
                kids = kids.stream().filter(ProcessInfo::isZombie).toList();
            }
            table(out, kids);
            out.println(kids.size() + " " + (a.flag("zombies") ? "zombie " : "") + (kids.size() == 1 ? "child" : "children") + " of pid " + pid);
        } else if (a.flag("zombies")) {
            List<ProcessTable.Zombie> zs = ProcessTable.zombies();
            out.printf("%7s %7s %-5s %-24s %s%n", "PID", "PPID", "STAT", "ZOMBIE", "PARENT (has not reaped it)");
            for (ProcessTable.Zombie z : zs) {
                out.printf("%7d %7d %-5s %-24s %s%n", z.zombie().pid(), z.zombie().ppid(), z.zombie().state(),
                        "[" + z.zombie().comm() + "] <defunct>",
                        z.parent().map(ProcessInfo::commandText).orElse("?"));
            }
            out.println(zs.size() + " zombies");
        } else {
            List<ProcessInfo> all = ProcessTable.all();
            table(out, all);
            out.println(all.size() + " processes");
        }
        out.println();
        PidLimits.read().describe().forEach(out::println);
        return OK;
    }

    static void table(PrintStream out, List<ProcessInfo> list) {
        out.printf("%7s %7s %7s %7s %-7s %-4s %9s  %s%n", "PID", "PPID", "PGID", "SID", "TTY", "STAT", "ELAPSED", "CMD");
        for (ProcessInfo p : list) {
            String cmd = ByteStrings.printable(p.commandText()); // any user chooses its own; ps(1) shows '?' too
            out.printf("%7d %7d %7d %7d %-7s %-4s %9s  %s%n", p.pid(), p.ppid(), p.pgid(), p.sid(), p.ttyName(),
                    p.state(), elapsed(p.uptime()), cmd.length() > 100 ? cmd.substring(0, 97) + "..." : cmd);
        }
    }

    /** ps's ELAPSED format: [[dd-]hh:]mm:ss. */
    static String elapsed(Duration d) {
        long s = Math.max(0, d.toSeconds());
        long days = s / 86400;
        long h = s % 86400 / 3600;
        long m = s % 3600 / 60;
        long sec = s % 60;
        if (days > 0) {
            return String.format("%d-%02d:%02d:%02d", days, h, m, sec);
        }
        return h > 0 ? String.format("%02d:%02d:%02d", h, m, sec) : String.format("%02d:%02d", m, sec);
    }
}
