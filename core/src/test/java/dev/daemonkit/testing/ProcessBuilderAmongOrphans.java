package dev.daemonkit.testing;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.ProcessControl;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.process.Reaper;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A JVM that is a subreaper and reaps its orphans while two threads run {@link ProcessBuilder}
 * children with random exit codes and a third keeps orphaning grandchildren (through
 * {@code sh -c 'sleep 0.01 & exit'}). Prints {@code children=N wrong=W orphans=O zombies=Z}.
 *
 * <pre>  ProcessBuilderAmongOrphans N reaper|naive</pre>
 * {@code reaper}: {@link Reaper#reapOrphans()}; {@code naive}: a thread in waitpid(-1), as tini
 * does, to show what that does to ProcessBuilder. Everything it starts is reaped before it exits.
 */
public final class ProcessBuilderAmongOrphans {
    private ProcessBuilderAmongOrphans() {
    }

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        boolean naive = args[1].equals("naive");
        ProcessControl.setChildSubreaper(true);
        AtomicInteger orphans = new AtomicInteger();
        if (naive) {
            Thread t = new Thread(() -> {
                while (true) {
                    try {
                        Posix.waitpid(-1, 0);
                        orphans.incrementAndGet();
                    } catch (PosixException e) {
                        try {
                            Thread.sleep(1);
                        } catch (InterruptedException ie) {
                            return;
                        }
                    }
                }
            });
            t.setDaemon(true);
            t.start();
        } else {
            Reaper.ownAllChildren(st -> orphans.incrementAndGet());
        }
        AtomicBoolean done = new AtomicBoolean();
        Thread orphaner = new Thread(() -> {
            while (!done.get()) {
                try {
                    new ProcessBuilder("sh", "-c", "sleep 0.01 & exit 0").start().waitFor();
                } catch (Exception e) {
                    return;
                }
            }
        });
        orphaner.start();
        AtomicInteger wrong = new AtomicInteger();
        AtomicInteger count = new AtomicInteger();
        Runnable worker = () -> {
            while (count.getAndIncrement() < n) {
                int code = ThreadLocalRandom.current().nextInt(256);
                try {
                    int got = new ProcessBuilder("sh", "-c", "exit " + code).start().waitFor();
                    if (got != code) {
                        wrong.incrementAndGet();
                    }
                } catch (Exception e) {
                    wrong.incrementAndGet();
                }
            }
        };
        Thread w1 = new Thread(worker);
        Thread w2 = new Thread(worker);
        w1.start();
        w2.start();
        w1.join();
        w2.join();
        done.set(true);
        orphaner.join();
        // Let the last orphans end and be reaped, then count what is left.
        long end = System.nanoTime() + 5_000_000_000L;
        int zombies;
        do {
            Thread.sleep(50);
            zombies = zombies();
        } while ((zombies > 0 || !childless()) && System.nanoTime() < end);
        System.out.println("children=" + n + " wrong=" + wrong.get() + " orphans=" + orphans.get() + " zombies=" + zombies);
        System.exit(0);
    }

    private static boolean childless() {
        try {
            WaitStatus s = Posix.waitidAny(Posix.WNOHANG | Posix.WNOWAIT);
            return false;
        } catch (PosixException e) {
            return true; // ECHILD
        }
    }

    private static int zombies() throws Exception {
        int z = 0;
        for (var t : java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task")).toList()) {
            for (String p : java.nio.file.Files.readString(t.resolve("children")).trim().split(" ")) {
                if (!p.isEmpty()) {
                    String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", p, "stat"));
                    z += stat.charAt(stat.lastIndexOf(')') + 2) == 'Z' ? 1 : 0;
                }
            }
        }
        return z;
    }
}
