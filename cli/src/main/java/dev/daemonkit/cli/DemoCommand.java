package dev.daemonkit.cli;

import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.ProcessControl;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.process.ChildProcess;
import dev.daemonkit.process.ProcessInfo;
import dev.daemonkit.process.ProcessTable;
import dev.daemonkit.process.Redirect;
import dev.daemonkit.process.Spawn;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code daemonkit demo zombie|orphan}: the two classic demonstrations of Unix process life — a
 * child that exits before its parent waits for it stays a zombie; a child whose parent exits first
 * is adopted by init (or the nearest subreaper) — bounded (a handful of processes, short sleeps)
 * and self-cleaning (everything started is killed and reaped in finally).
 */
final class DemoCommand implements Command {
    private static final int ZOMBIES = 3;

    @Override
    public String name() {
        return "demo";
    }

    @Override
    public String summary() {
        return "show a zombie or an orphan being made, seen and cleaned up";
    }

    @Override
    public String usage() {
        return """
            usage: daemonkit demo zombie|orphan

              zombie   3 children exit at once; this process does not reap them, so they stay in the
                       table as Z with its pid as parent; then it reaps them with waitpid and they vanish.
              orphan   a shell starts 'sleep' in the background and exits first: the sleep is
                       re-parented to init (or the nearest subreaper). Then the same with this process
                       as a child subreaper (PR_SET_CHILD_SUBREAPER): the orphan comes to us, and we reap it.
            Both clean up everything they started.

            exit: 0 shown; 1 the demonstration failed; 2 bad usage.""";
    }

    @Override
    public int run(List<String> argv, PrintStream out, PrintStream err) throws Exception {
        Args a = Args.parse(name(), argv, Set.of(), Set.of(), 1);
        String which = a.positional().isEmpty() ? "" : a.positional().get(0);
        return switch (which) {
            case "zombie" -> zombie(out);
            case "orphan" -> orphan(out);
            default -> throw new UsageException("choose 'zombie' or 'orphan'" + (which.isEmpty() ? "" : ", not '" + which + "'"));
        };
    }

    private static int zombie(PrintStream out) throws Exception {
        int me = Posix.getpid();
        List<Integer> kids = new ArrayList<>();
        try {
            out.println("daemonkit (pid " + me + ") starts " + ZOMBIES + " children that exit at once, and does not wait for them.");
            for (int i = 0; i < ZOMBIES; i++) {
                kids.add(Posix.forkExit(0)); // clone + _exit: no Java runs in the child
            }
            waitUntil(() -> ProcessTable.zombiesOf(me).size() >= ZOMBIES);
            out.println();
            PsCommand.table(out, ProcessTable.zombiesOf(me));
            out.println();
            out.println("They are dead, but stay in the process table as Z (zombie): each keeps its pid and exit");
            out.println("status until its parent (PPID " + me + ", us) collects it with wait. Enough of them and fork()");
            out.println("fails with EAGAIN: pids run out, not memory.");
            out.println();
            for (int pid : new ArrayList<>(kids)) {
                out.println("waitpid(" + pid + ") -> " + Posix.waitpid(pid, 0));
                kids.remove(Integer.valueOf(pid));
            }
            int left = ProcessTable.zombiesOf(me).size();
            out.println();
            out.println("After reaping: " + left + " zombie children of pid " + me + " left.");
            return left == 0 ? OK : FAILED;
        } finally {
            for (int pid : kids) {
                reapQuietly(pid);
            }
        }
    }

    private static int orphan(PrintStream out) throws Exception {
        out.println("1. A shell starts 'sleep 30' in the background, then exits before it.");
        int first = orphanOnce(out, false);
        out.println();
        out.println("2. The same with daemonkit as a child subreaper (prctl PR_SET_CHILD_SUBREAPER):");
        int second = orphanOnce(out, true);
        return first == OK && second == OK ? OK : FAILED;
    }

    private static int orphanOnce(PrintStream out, boolean subreaper) throws Exception {
        int me = Posix.getpid();
        boolean wasSubreaper = ProcessControl.isChildSubreaper();
        int orphan = -1;
        Fd orphanFd = null;
        try {
            if (subreaper) {
                ProcessControl.setChildSubreaper(true);
            }
            ChildProcess sh = Spawn.of("/bin/sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!; read _ <&0 || true")
                    .stdin(Redirect.PIPE).stdout(Redirect.PIPE).start();
            BufferedReader r = new BufferedReader(new InputStreamReader(sh.stdout(), StandardCharsets.US_ASCII));
            orphan = Integer.parseInt(r.readLine().trim());
            orphanFd = Posix.openPidfd(orphan); // from now on we can signal exactly this process
            int ppidBefore = ProcessTable.of(orphan).map(ProcessInfo::ppid).orElse(-1);
            out.printf("   sleep is pid %d, its parent is the shell, pid %d (ppid %d)%n", orphan, sh.pid(), ppidBefore);
            sh.stdin().close(); // lets the shell's read end: it exits
            out.println("   the shell exits: " + sh.waitFor());
            final int o = orphan;
            waitUntil(() -> ProcessTable.of(o).map(p -> p.ppid() != sh.pid()).orElse(true));
            int ppidAfter = ProcessTable.of(orphan).map(ProcessInfo::ppid).orElse(-1);
            String who = ProcessTable.of(ppidAfter).map(ProcessInfo::commandText).orElse("?");
            out.printf("   sleep (pid %d) is an orphan now; its new parent is pid %d: %s%n", orphan, ppidAfter, who);
            if (subreaper) {
                out.println("   " + (ppidAfter == me ? "that is us: a subreaper adopts orphans of its descendants"
                        : "not us? (ppid " + ppidAfter + ")"));
                Posix.pidfdSendSignal(orphanFd, Signal.SIGTERM);
                out.println("   we stop it and reap it ourselves: waitpid(" + orphan + ") -> " + Posix.waitpid(orphan, 0));
                orphan = -1;
                return ppidAfter == me ? OK : FAILED;
            }
            out.println("   " + (ppidAfter == 1 ? "pid 1 (init) adopts orphans and reaps them when they exit"
                    : "the nearest ancestor marked as child subreaper (or this namespace's init) adopted it"));
            return ppidAfter != sh.pid() ? OK : FAILED;
        } finally {
            if (orphanFd != null) {
                try {
                    if (orphan > 0) {
                        Posix.pidfdSendSignal(orphanFd, Signal.SIGKILL); // its new parent reaps it
                    }
                } catch (PosixException ignored) {
                    // already gone
                }
                orphanFd.close();
            }
            if (subreaper && orphan > 0) {
                reapQuietly(orphan);
            }
            ProcessControl.setChildSubreaper(wasSubreaper);
        }
    }

    private static void reapQuietly(int pid) {
        try {
            Posix.waitpid(pid, 0);
        } catch (PosixException ignored) {
            // not ours or already reaped
        }
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }
}
