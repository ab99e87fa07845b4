package dev.daemonkit.process;

import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.WaitStatus;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A child started by {@link Spawn}: its pid, a pidfd (Linux 5.3+) that names exactly this process,
 * its exit status once known, and the parent's ends of any pipes.
 *
 * <p>{@link #signal(Signal)} goes through the pidfd, so it can never reach another process that
 * was given the same pid after this one was reaped; once the status is known it fails with ESRCH
 * without calling the kernel. {@link #close()} closes the pipes; the pidfd is closed when the child
 * has been reaped, which the {@link Reaper} does even if nobody waits.
 */
public final class ChildProcess implements AutoCloseable {
    private final int pid;
    private final List<String> command;
    private final CompletableFuture<WaitStatus> exit = new CompletableFuture<>();
    private final OutputStream stdin;
    private final InputStream stdout;
    private final InputStream stderr;

    // The pidfd is shared by the waiter, the reaper and signal(); it is closed only when the
    // status is known and nobody is using it, so its number can never be reused under a user.
    private final Object fdLock = new Object();
    private Fd pidfd; // null: no pidfd (kernel < 5.3) or closed
    private int pidfdUsers;
    private final Reaper reaper;
    /** Set once the reaper thread polls this child's pidfd. */
    private volatile boolean watched;
    /** Threads blocked in waitFor()'s waitid: the reaper thread leaves the child to them. */
    private final AtomicInteger waiters = new AtomicInteger();

    private ChildProcess(int pid, Fd pidfd, List<String> command, Reaper reaper, Fd[] parentEnds) {
        this.pid = pid;
        this.pidfd = pidfd;
        this.reaper = reaper;
        this.command = command;
        this.stdin = parentEnds[0] != null ? new FdStreams.Out(parentEnds[0]) : OutputStream.nullOutputStream();
        this.stdout = parentEnds[1] != null ? new FdStreams.In(parentEnds[1]) : InputStream.nullInputStream();
        this.stderr = parentEnds[2] != null ? new FdStreams.In(parentEnds[2]) : InputStream.nullInputStream();
    }

    /** Called by Spawn with the reaper's spawn lock held, right after posix_spawn succeeded. */
    static ChildProcess started(int pid, List<String> command, Reaper reaper, Fd[] parentEnds) {
        Fd pidfd;
        try {
            pidfd = Posix.openPidfd(pid);
        } catch (PosixException e) {
            // ENOSYS on kernels before 5.3: fall back to waitpid on the pid.
            pidfd = null;
        }
        ChildProcess c = new ChildProcess(pid, pidfd, command, reaper, parentEnds);
        reaper.register(c);
        return c;
    }

    /** The child's process id. */
    public int pid() {
        return pid;
    }

    /** The command it was started with. */
    public List<String> command() {
        return command;
    }

    /** The pidfd, while the child has not been reaped and the kernel supports pidfds. */
    public OptionalInt pidfd() {
        synchronized (fdLock) {
            return pidfd != null && !exit.isDone() ? OptionalInt.of(pidfd.number()) : OptionalInt.empty();
        }
    }

    /** The write end of the child's stdin pipe (a null stream unless stdin is {@link Redirect#PIPE}). */
    public OutputStream stdin() {
        return stdin;
    }

    /** The read end of the child's stdout pipe (empty unless stdout is {@link Redirect#PIPE}). */
    public InputStream stdout() {
        return stdout;
    }

    /** The read end of the child's stderr pipe (empty unless stderr is {@link Redirect#PIPE}). */
    public InputStream stderr() {
        return stderr;
    }

    /**
     * Waits for the child to terminate and returns its status. The calling thread reaps the child
     * itself with waitid(P_PIDFD) when it can (no thread hop); this wait is not interruptible,
     * use {@link #waitFor(Duration)} or {@link #onExit()} where that matters.
     */
    public WaitStatus waitFor() throws InterruptedException {
        if (!exit.isDone() && acquirePidfd()) {
            waiters.incrementAndGet();
            try {
                complete(Posix.waitidPidfd(pidfd, pid, 0));
            } catch (PosixException e) {
                // ECHILD: the reaper (or an own-all-children reaper) got there first and will
                // complete the future; anything else is reported the same way below.
                if (e.errno() != Errno.ECHILD) {
                    exit.completeExceptionally(e);
                }
            } finally {
                waiters.decrementAndGet();
                releasePidfd();
            }
        }
        try {
            return exit.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("waiting for pid " + pid + " failed", e.getCause());
        }
    }

    /** Waits at most {@code timeout}; empty if the child is still running then. */
    public Optional<WaitStatus> waitFor(Duration timeout) throws InterruptedException {
        reaper.expedite(this);
        try {
            return Optional.of(exit.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw new IllegalStateException("waiting for pid " + pid + " failed", e.getCause());
        }
    }

    /** The status if the child has terminated, without blocking. */
    public Optional<WaitStatus> poll() {
        if (!exit.isDone() && acquirePidfd()) {
            try {
                WaitStatus s = Posix.waitidPidfd(pidfd, pid, Posix.WNOHANG);
                if (s.isTerminated()) {
                    complete(s);
                }
            } catch (PosixException e) {
                // ECHILD: reaped elsewhere, the future completes shortly.
            } finally {
                releasePidfd();
            }
        }
        return Optional.ofNullable(exit.getNow(null));
    }

    /** Whether the child is still running (not yet known to have terminated). */
    public boolean isAlive() {
        return poll().isEmpty();
    }

    /** Completes with the exit status; a copy, so callers cannot complete it themselves. */
    public CompletableFuture<WaitStatus> onExit() {
        reaper.expedite(this);
        return exit.copy();
    }

    /**
     * Sends a signal through the pidfd (or kill(2) where the kernel has no pidfd).
     *
     * @throws PosixException ESRCH once the child is known to have terminated
     */
    public void signal(Signal signal) throws PosixException {
        signal(signal.number());
    }

    /** Sends a raw signal number (e.g. a realtime signal). */
    public void signal(int signo) throws PosixException {
        synchronized (fdLock) {
            if (exit.isDone()) {
                throw new PosixException("signal(pid " + pid + ", " + Signal.nameOf(signo) + ")", Errno.ESRCH.number(),
                        "the process has already been reaped");
            }
            if (pidfd != null) {
                Posix.pidfdSendSignal(pidfd, signo);
            } else {
                Posix.kill(pid, signo);
            }
        }
    }

    /** Sends the signal to the child's process group (it must lead one: see {@link Spawn#newSession()}). */
    public void signalGroup(Signal signal) throws PosixException {
        synchronized (fdLock) {
            if (exit.isDone()) {
                throw new PosixException("kill(-" + pid + ", " + signal.name() + ")", Errno.ESRCH.number(),
                        "the group leader has already been reaped");
            }
            Posix.kill(-pid, signal);
        }
    }

    /** A JDK handle for interop; it refers to the pid, so it is only reliable while the child runs. */
    public Optional<ProcessHandle> toProcessHandle() {
        return exit.isDone() ? Optional.empty() : ProcessHandle.of(pid);
    }

    /** Closes the parent's pipe ends. Does not kill or wait; the reaper still collects the status. */
    @Override
    public void close() {
        closeQuietly(stdin);
        closeQuietly(stdout);
        closeQuietly(stderr);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // Closing our end of a pipe: nothing useful to do with a failure.
        }
    }

    // ------------------------------------------------------------ reaper side

    /** Records the status (first caller wins), deregisters, and closes the pidfd when unused. */
    void complete(WaitStatus status) {
        if (exit.complete(status)) {
            Reaper.deregister(this);
        }
        synchronized (fdLock) {
            if (pidfdUsers == 0) {
                closePidfd();
            }
        }
    }

    boolean acquirePidfd() {
        synchronized (fdLock) {
            if (pidfd == null || exit.isDone()) {
                return false;
            }
            pidfdUsers++;
            return true;
        }
    }

    void releasePidfd() {
        synchronized (fdLock) {
            pidfdUsers--;
            if (pidfdUsers == 0 && exit.isDone()) {
                closePidfd();
            }
        }
    }

    boolean hasPidfd() {
        return pidfd != null;
    }

    /** Whether a thread is reaping this child in waitFor() right now. */
    boolean hasWaiter() {
        return waiters.get() > 0;
    }

    boolean isWatched() {
        return watched;
    }

    void markWatched() {
        watched = true;
    }

    /** The pidfd for the reaper's poll set; only valid between acquire and release. */
    Fd rawPidfd() {
        return pidfd;
    }

    boolean isDone() {
        return exit.isDone();
    }

    private void closePidfd() {
        if (pidfd != null) {
            pidfd.close();
            pidfd = null;
        }
    }

    @Override
    public String toString() {
        WaitStatus s = exit.getNow(null);
        return "ChildProcess[pid=" + pid + ", " + (s == null ? "running" : s) + ", " + command + "]";
    }
}
