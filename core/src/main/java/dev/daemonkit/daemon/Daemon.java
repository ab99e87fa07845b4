package dev.daemonkit.daemon;

import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.ProcessControl;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.SignalDisposition;
import dev.daemonkit.process.JvmSignals;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the running Java application into a Unix daemon — the classic double-fork recipe (fork,
 * setsid, fork again, umask, chdir, stdio redirected, a pidfile) done safely for the JVM. A JVM
 * must never fork() (only the forking thread survives in the child), so the launching JVM
 * re-launches itself detached with posix_spawn — same java binary, same JVM options and
 * arguments, read from /proc/self — and waits until the new JVM reports ready:
 *
 * <pre>{@code
 * public static void main(String[] args) throws Exception {
 *     Daemon d = Daemon.daemonize(DaemonOptions.builder()
 *             .pidfile(Path.of("/tmp/myd.pid")).log(Path.of("/tmp/myd.log")).build());
 *     ServerSocket s = new ServerSocket(8080);   // the daemon continues here
 *     d.ready();                                 // now the launcher exits 0
 *     serve(s);
 * }
 * }</pre>
 *
 * <p>Working directory: the daemon's kernel working directory becomes
 * {@link DaemonOptions#workingDirectory()} ("/" by default, so it never pins a mount point), but
 * the JVM is launched in the launcher's directory and keeps it as {@code user.dir}: relative
 * paths given on the command line still mean what the user typed when made absolute with
 * {@code toAbsolutePath()} — do that before opening them.
 *
 * <p>Stages, told apart by {@link DaemonOptions#markerVariable()}: the launcher (no marker)
 * spawns stage 1 in a new session and waits; stage 1 spawns stage 2 (not a session leader, so it
 * can never acquire a controlling terminal) and exits; stage 2 finishes the set-up and returns.
 * With {@code doubleFork(false)} stage 1 is the daemon. With {@code detach(false)} nothing is
 * re-launched: this process is set up in place (for systemd Type=simple or Type=notify). A
 * program started by {@code daemonkit start} is also set up in place: the CLI was its launcher.
 *
 * <p>Signals: the ignored ones of the options (SIGHUP, SIGTTIN, SIGTTOU, SIGPIPE by default);
 * SIGUSR1 reopens the stdout/stderr log by path ({@link #reopenLogs()}, for logrotate);
 * {@link #onReload(Runnable)} makes SIGHUP mean "reload". SIGTERM ends the JVM as usual, and a
 * shutdown hook removes the pidfile.
 */
public final class Daemon {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);
    private static Daemon current;

    private final int pid;
    private final Optional<Pidfile> pidfile;
    private final LogFiles logs;
    private final List<Runnable> reloadActions = new CopyOnWriteArrayList<>();
    private final List<Runnable> reopenActions = new CopyOnWriteArrayList<>();
    private volatile boolean ready;

    private Daemon(int pid, Optional<Pidfile> pidfile, LogFiles logs) {
        this.pid = pid;
        this.pidfile = pidfile;
        this.logs = logs;
    }

    /** The files fds 1 and 2 were sent to, as far as this process knows them. */
    record LogFiles(Optional<Path> stdout, Optional<Path> stderr) {
    }

    /**
     * Daemonizes this application. Returns only in the daemon; the launching process exits here
     * with 0 once the daemon called {@link #ready()}, with 0 if the pidfile shows it already
     * running, and with 1 (and the daemon's error or the tail of its log on stderr) otherwise.
     *
     * @throws IOException in the daemon, when its own set-up fails (pidfile, log, privileges);
     *                     the launcher then reports the message and exits 1
     */
    public static synchronized Daemon daemonize(DaemonOptions options) throws IOException {
        if (current != null) {
            return current;
        }
        String stage = System.getenv(options.markerVariable());
        boolean launchedByCli = stage == null && System.getenv(ReadyPipe.ENV_FD) != null && ReadyPipe.fd() != null;
        try {
            if (!options.detach() || launchedByCli) {
                current = setUp(options, true, launchedByCli);
            } else if (stage == null) {
                SelfRelaunch.launch(options);
            } else if (stage.equals("1")) {
                SelfRelaunch.handOver(options);
            } else {
                current = setUp(options, false, false);
            }
            return current;
        } catch (IOException | RuntimeException e) {
            ReadyPipe.send("ERROR " + oneLine(e));
            ReadyPipe.close();
            throw e;
        }
    }

    /** The daemon set up by {@link #daemonize}, if this process is one. */
    public static synchronized Optional<Daemon> current() {
        return Optional.ofNullable(current);
    }

    /** The daemon's pid. */
    public int pid() {
        return pid;
    }

    /** The pidfile this daemon holds locked, if any. */
    public Optional<Path> pidfile() {
        return pidfile.map(Pidfile::path);
    }

    /**
     * Tells the launcher (and systemd, if {@code NOTIFY_SOCKET} is set) that the daemon is up:
     * call it once the service can serve, e.g. after binding its port. Idempotent.
     */
    public void ready() {
        ready("ready");
    }

    /** {@link #ready()} with a status line for systemd. */
    public synchronized void ready(String status) {
        if (ready) {
            return;
        }
        ready = true;
        ReadyPipe.send("READY");
        ReadyPipe.close();
        notifySystemd("READY=1\nSTATUS=" + status + "\nMAINPID=" + pid);
    }

    /**
     * Tells the launcher that start-up failed, with a message it prints before exiting 1. The
     * caller should then exit.
     */
    public synchronized void failed(String message) {
        ReadyPipe.send("ERROR " + message.replace('\n', ' '));
        ReadyPipe.close();
        notifySystemd("STATUS=failed: " + message.replace('\n', ' '));
    }

    /**
     * Runs {@code action} on SIGHUP, the conventional "reload your configuration" (nginx,
     * sshd, jsvc). SIGHUP is ignored by default; registering an action makes the daemon catch it
     * instead. {@code daemonkit reload --pidfile P} sends it. Under a NOTIFY_SOCKET the reload is
     * announced as systemd 253's Type=notify-reload expects: RELOADING=1 with MONOTONIC_USEC
     * (CLOCK_MONOTONIC, which System.nanoTime() reads on Linux) before the actions, READY=1 after.
     */
    public void onReload(Runnable action) {
        reloadActions.add(action);
        catchSignal(Signal.SIGHUP, () -> {
            LOG.info("SIGHUP: reloading");
            notifySystemd("RELOADING=1\nMONOTONIC_USEC=" + System.nanoTime() / 1000);
            reloadActions.forEach(Daemon::runLogged);
            notifySystemd("READY=1");
        });
    }

    /**
     * Feeds the watchdog that systemd (WatchdogSec=) or {@code daemonkit supervise --watchdog}
     * set up, with WATCHDOG=1 every half interval while {@code healthy} passes (see
     * {@link Watchdog}); a program that hangs or whose check fails is then restarted.
     *
     * @return the watchdog, to close when the program stops on purpose; empty when none was asked for
     */
    public Optional<Watchdog> watchdog(java.util.function.BooleanSupplier healthy) {
        return Watchdog.start(healthy);
    }

    /**
     * Runs {@code action} after the daemon reopened its log files on SIGUSR1 (the daemon does
     * that by itself for its stdout/stderr log); use it for log files of the application's own.
     */
    public void onReopenLogs(Runnable action) {
        reopenActions.add(action);
    }

    /**
     * Reopens the log file(s) behind fds 1 and 2 by path, the way logrotate expects after it
     * moved them: a line written before goes to the moved file, a line after to the new one,
     * none is lost. Called on SIGUSR1 ({@code daemonkit reopen-logs --pidfile P}).
     */
    public synchronized void reopenLogs() throws IOException {
        System.out.flush();
        System.err.flush();
        if (logs.stdout().isPresent() && logs.stdout().equals(logs.stderr())) {
            appendOnto(logs.stdout().get(), false, 1, 2);
        } else {
            if (logs.stdout().isPresent()) {
                appendOnto(logs.stdout().get(), false, 1);
            }
            if (logs.stderr().isPresent()) {
                appendOnto(logs.stderr().get(), false, 2);
            }
        }
        LOG.info("reopened log files {}", logs.stdout().or(logs::stderr).map(Path::toString).orElse("(none)"));
        reopenActions.forEach(Daemon::runLogged);
    }

    private void handleSignals(DaemonOptions o) {
        if (!o.ignoredSignals().contains(Signal.SIGUSR1)) {
            catchSignal(Signal.SIGUSR1, () -> {
                try {
                    reopenLogs();
                } catch (IOException e) {
                    LOG.error("SIGUSR1: cannot reopen logs: {}", e.getMessage());
                }
            });
        }
    }

    private static void catchSignal(Signal s, Runnable action) {
        // CATCH: a daemon's SIGHUP is ignored, yet a reload action must run.
        if (!JvmSignals.handle(List.of(s), JvmSignals.WhenIgnored.CATCH, sig -> action.run()).signals().contains(s)) {
            throw new IllegalStateException("cannot catch " + s + ": the JVM reserves it");
        }
    }

    private static void runLogged(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.error("signal action failed", e);
        }
    }

    /** The log paths: from the options, or from the environment when a launcher opened them. */
    private static LogFiles logFiles(DaemonOptions o, boolean launchedByCli) {
        if (launchedByCli) {
            return new LogFiles(Optional.ofNullable(System.getenv(DaemonLauncher.ENV_STDOUT)).map(Path::of),
                    Optional.ofNullable(System.getenv(DaemonLauncher.ENV_STDERR)).map(Path::of));
        }
        // Absolute against user.dir (the launch directory), since open(2) would use the kernel's cwd.
        return new LogFiles(Optional.ofNullable(o.stdout()).map(Path::toAbsolutePath),
                Optional.ofNullable(o.stderr()).map(Path::toAbsolutePath));
    }

    // ---- daemon side ------------------------------------------------------------------------

    private static Daemon setUp(DaemonOptions o, boolean inPlace, boolean launchedByCli) throws IOException {
        int pid = Posix.getpid();
        ReadyPipe.send("NOTIFY");
        ReadyPipe.send("PID " + pid);
        if (o.preventCore()) {
            ProcessControl.setrlimit(ProcessControl.Resource.CORE, new ProcessControl.RLimit(0, 0));
        }
        if (inPlace && !launchedByCli) {
            // A launcher applied these already; in place we do it ourselves.
            PosixFiles.umask(o.umask());
            redirectStdio(o);
        }
        if (!launchedByCli) {
            // The kernel's cwd only: Java keeps resolving relative paths against the directory it
            // was launched in (user.dir), so arguments mean what the user typed.
            PosixFiles.chdir(o.workingDirectory());
        }
        for (Signal s : o.ignoredSignals()) {
            Posix.sigaction(s, SignalDisposition.IGNORE);
        }
        Optional<Pidfile> pidfile = openPidfile(o, pid);
        if (o.privilegedStep() != null) {
            o.privilegedStep().run();
        }
        LogFiles logs = logFiles(o, launchedByCli);
        if (o.user() != null) {
            Privileges.Account account = Privileges.lookup(o.user(), o.group());
            if (Posix.geteuid() == 0) {
                // The log was created by root; the daemon must still be able to reopen it on SIGUSR1.
                // Through fds 1 and 2 — the files really opened (without following links) — never
                // by path, which the service user may have pointed at another file meanwhile.
                if (logs.stdout().isPresent()) {
                    LogFile.handOver(Fd.borrow(1), logs.stdout().get(), account.uid(), account.gid());
                }
                if (logs.stderr().isPresent()) {
                    LogFile.handOver(Fd.borrow(2), logs.stderr().get(), account.uid(), account.gid());
                }
            }
            // Throws unless every id reads back as asked: a daemon never goes on as root by mistake.
            Privileges.drop(account);
            LOG.info("running as {} (uid {}, gid {})", o.user(), Posix.getuid(), Posix.getgid());
        }
        Daemon d = new Daemon(pid, pidfile, logs);
        d.handleSignals(o);
        Runtime.getRuntime().addShutdownHook(new Thread(d::cleanUp, "daemonkit-cleanup"));
        LOG.debug("daemon set up: pid {}, sid {}, pidfile {}", pid, Posix.getsid(0), d.pidfile().orElse(null));
        return d;
    }

    /**
     * The pidfile: adopted from a launcher (which wrote our pid and keeps the only writable
     * descriptor), or acquired here, our pid written, and the writable descriptor closed before
     * anything else runs — so that after a privilege drop the daemon cannot rewrite its pid.
     */
    private static Optional<Pidfile> openPidfile(DaemonOptions o, int pid) throws IOException {
        Optional<Integer> fd = inheritedPidfileFd();
        String path = System.getenv(DaemonLauncher.ENV_PIDFILE);
        if (fd.isPresent() && path != null) {
            PosixFiles.setCloseOnExec(Fd.borrow(fd.get()), true); // our own children must not hold our lock
            return Optional.of(Pidfile.adopt(Fd.adopt(fd.get()), Path.of(path)));
        }
        if (o.pidfile() != null) {
            Pidfile p;
            try {
                p = Pidfile.acquire(o.pidfile());
            } catch (AlreadyRunningException e) {
                throw new IOException("already running" + (e.pid().isPresent() ? " (pid " + e.pid().getAsLong() + ")" : ""), e);
            }
            p.write(pid);
            p.sealWrites();
            return Optional.of(p);
        }
        return Optional.empty();
    }

    /** The pidfile descriptor a launcher passed, if it is really open. */
    static Optional<Integer> inheritedPidfileFd() {
        String v = System.getenv(DaemonLauncher.ENV_PIDFILE_FD);
        if (v == null) {
            return Optional.empty();
        }
        try {
            int fd = Integer.parseInt(v.trim());
            PosixFiles.isCloseOnExec(Fd.borrow(fd)); // EBADF if it is not open
            return Optional.of(fd);
        } catch (NumberFormatException | PosixException e) {
            return Optional.empty();
        }
    }

    private static void redirectStdio(DaemonOptions o) throws IOException {
        try (Fd in = PosixFiles.open(o.stdin(), PosixFiles.O_RDONLY | PosixFiles.O_CLOEXEC | PosixFiles.O_NOCTTY, 0)) {
            PosixFiles.dup2(in, 0);
        }
        if (o.stdout() == null && o.stderr() == null) {
            // Not detached and no log asked for: keep stdout/stderr, which under systemd are the
            // journal (Type=simple/notify).
            return;
        }
        Path out = o.stdout() != null ? o.stdout() : Path.of("/dev/null");
        Path err = o.stderr() != null ? o.stderr() : out;
        boolean forUser = o.user() != null;
        appendOnto(out, forUser, 1);
        appendOnto(err, forUser, 2);
    }

    /**
     * Opens {@code file} for appending (created 0644; symlinks only as {@link LogFile} allows) and
     * makes each of {@code fds} refer to it.
     */
    private static void appendOnto(Path file, boolean forAnotherUser, int... fds) throws IOException {
        try (Fd fd = LogFile.openAppend(file, forAnotherUser)) {
            for (int target : fds) {
                PosixFiles.dup2(fd, target);
            }
        }
    }

    private void cleanUp() {
        notifySystemd("STOPPING=1");
        pidfile.ifPresent(Pidfile::close);
    }

    private static void notifySystemd(String message) {
        try {
            SdNotify.send(message);
        } catch (PosixException e) {
            LOG.warn("sd_notify failed: {}", e.getMessage());
        }
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() != null ? e.getMessage() : e.toString();
        return m.replace('\n', ' ');
    }

    @Override
    public String toString() {
        return "Daemon[pid=" + pid + ", pidfile=" + pidfile().map(Path::toString).orElse("none") + "]";
    }
}
