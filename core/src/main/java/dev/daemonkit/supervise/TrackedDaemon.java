package dev.daemonkit.supervise;

import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.FileStat;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.posix.Signal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A program that daemonized itself (it exited 0 after forking the real daemon, which wrote its
 * pid to a file): followed through a pidfd, since it is not our child and cannot be waited for.
 * Opened and closed on the supervisor's event thread; only the wait for its exit runs elsewhere.
 */
final class TrackedDaemon implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
    /** Larger than any pid with a newline: a bigger file is not a pidfile. */
    private static final int MAX_PIDFILE = 64;

    private final int pid;
    private final Fd pidfd;

    private TrackedDaemon(int pid, Fd pidfd) {
        this.pid = pid;
        this.pidfd = pidfd;
    }

    /** What reading the pidfile found. */
    sealed interface Lookup {
    }

    /** A live process to follow. */
    record Found(TrackedDaemon daemon) implements Lookup {
    }

    /** Nothing usable yet (missing, empty, half written, a dead pid): why, for the final error. */
    record NotYet(String why) implements Lookup {
    }

    /**
     * Reads the pidfile and opens a pidfd on the pid it names. Never blocks: the file is opened
     * non-blocking and without following a final symlink, and must be a small regular file (a
     * FIFO planted at the path would otherwise hang the caller).
     */
    static Lookup find(Path pidfile) {
        int pid;
        try (Fd fd = PosixFiles.open(pidfile, PosixFiles.O_RDONLY | PosixFiles.O_NOFOLLOW | PosixFiles.O_NONBLOCK | PosixFiles.O_CLOEXEC, 0)) {
            FileStat st = PosixFiles.fstat(fd);
            if (!st.isRegular() || st.size() > MAX_PIDFILE) {
                return new NotYet(pidfile + " is not a pidfile (" + (st.isRegular() ? st.size() + " bytes"
                        : st.type().description()) + ")");
            }
            String text = new String(PosixFiles.read(fd, MAX_PIDFILE), StandardCharsets.US_ASCII).trim();
            if (text.isEmpty()) {
                return new NotYet(pidfile + " is empty");
            }
            pid = Integer.parseInt(text);
        } catch (PosixException e) {
            return new NotYet(e.getMessage());
        } catch (NumberFormatException e) {
            return new NotYet(pidfile + " holds no pid");
        }
        if (pid <= 1 || pid == Posix.getpid()) {
            return new NotYet(pidfile + " names pid " + pid);
        }
        try {
            Fd pidfd = Posix.openPidfd(pid);
            // As a subreaper (or PID 1) the supervisor adopts what its programs put in the background:
            // then the pid must be its own descendant, not whatever the file's text names.
            if (subreaper() && !descendsFromUs(pid)) {
                pidfd.close();
                return new NotYet(pidfile + " names pid " + pid + ", which the supervisor did not start");
            }
            return new Found(new TrackedDaemon(pid, pidfd));
        } catch (PosixException e) {
            return new NotYet("pid " + pid + " from " + pidfile + ": " + e.getMessage());
        }
    }

    int pid() {
        return pid;
    }

    private static boolean subreaper() {
        try {
            return Posix.getpid() == 1 || dev.daemonkit.posix.ProcessControl.isChildSubreaper();
        } catch (PosixException e) {
            return false;
        }
    }

    private static boolean descendsFromUs(int pid) {
        return dev.daemonkit.process.ProcessTable.isDescendant(pid, Posix.getpid());
    }

    /**
     * Runs {@code exited} (on a thread of its own) once the process is gone. A platform thread:
     * poll(2) through FFM would pin a virtual thread's carrier for as long as the daemon lives.
     */
    void whenGone(String name, Runnable exited) {
        Thread.ofPlatform().daemon(true).name("track-" + name).start(() -> {
            try {
                while (!Posix.pollReadable(pidfd, Duration.ofSeconds(60))) {
                    // still alive
                }
            } catch (PosixException e) {
                LOG.debug("{}: tracking pid {} ended: {}", name, pid, e.getMessage());
            }
            exited.run();
        });
    }

    void signal(Signal s) throws PosixException {
        Posix.pidfdSendSignal(pidfd, s);
    }

    /** Closes the pidfd; call only once {@link #whenGone}'s action ran (the wait uses it until then). */
    @Override
    public void close() {
        pidfd.close();
    }
}
