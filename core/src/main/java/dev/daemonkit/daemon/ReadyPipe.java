package dev.daemonkit.daemon;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.posix.PosixException;
import java.nio.charset.StandardCharsets;

/**
 * The line protocol a daemon uses to tell its launcher how start-up went, over a pipe whose write
 * end the daemon inherits as fd {@value #CHILD_FD} (named in {@value #ENV_FD}):
 * <ul>
 * <li>{@code NOTIFY} — "I use daemonkit's readiness: wait for READY";</li>
 * <li>{@code PID n} — the daemon's pid, when it is not the launcher's direct child (double fork);</li>
 * <li>{@code READY} — started and ready (e.g. its port is bound);</li>
 * <li>{@code ERROR text} — start-up failed; the launcher prints the text and exits 1.</li>
 * </ul>
 */
final class ReadyPipe {
    private ReadyPipe() {
    }

    /** Environment variable naming the write end's fd in the daemon. */
    static final String ENV_FD = "DAEMONKIT_READY_FD";
    /** The fd number the write end gets in the daemon. */
    static final int CHILD_FD = 3;

    private static boolean looked;
    private static Fd fd;

    /** The inherited write end, or null when this process was not started by a daemonkit launcher. */
    static synchronized Fd fd() {
        if (!looked) {
            looked = true;
            String v = System.getenv(ENV_FD);
            if (v != null) {
                try {
                    Fd inherited = Fd.adopt(Integer.parseInt(v.trim()));
                    // Only trust it if the fd is really open (an inherited env var can outlive the pipe).
                    PosixFiles.isCloseOnExec(inherited);
                    // Keep it away from programs this daemon spawns.
                    PosixFiles.setCloseOnExec(inherited, true);
                    fd = inherited;
                } catch (NumberFormatException | PosixException e) {
                    fd = null;
                }
            }
        }
        return fd;
    }

    /** Sends one line; false when there is no launcher (or it is gone). */
    static synchronized boolean send(String line) {
        Fd f = fd();
        if (f == null) {
            return false;
        }
        try {
            PosixFiles.write(f, (line + "\n").getBytes(StandardCharsets.UTF_8));
            return true;
        } catch (PosixException e) {
            if (e.errno() != Errno.EPIPE) {
                System.err.println("daemonkit: cannot report to the launcher: " + e.getMessage());
            }
            return false;
        }
    }

    /** Closes the write end: after READY or ERROR the launcher has nothing more to read. */
    static synchronized void close() {
        if (fd != null) {
            fd.close();
            fd = null;
        }
    }
}
