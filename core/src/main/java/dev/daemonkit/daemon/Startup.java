package dev.daemonkit.daemon;

import dev.daemonkit.posix.ByteStrings;
import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.process.ChildProcess;
import dev.daemonkit.process.FileLocks;
import dev.daemonkit.process.ProcessActivity;
import dev.daemonkit.process.ProcessInfo;
import dev.daemonkit.process.ProcessTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The launcher's wait for a daemon it just spawned: reads the readiness pipe ({@link ReadyPipe}'s
 * line protocol) and watches the child until the daemon is up, or fails the start. What the
 * daemon writes is untrusted input: a {@code PID} line is believed only for a process of the
 * session the launcher created that holds the pidfile's lock; lines are capped in length; error
 * text is stripped of control characters before it reaches a terminal. A failed start stops
 * everything in that session before it reports.
 */
final class Startup {
    /** No protocol line is longer; a daemon flooding the pipe fails its start. */
    static final int MAX_LINE = 4096;

    private final ChildProcess child;
    private final Fd readEnd;
    private final Pidfile pidfile;
    private final DaemonOptions options;
    private final Optional<Fd> log;
    private final DaemonLauncher.Grace grace;
    /** The last look at a plain program's tree that found it all asleep; null if none did yet. */
    private ProcessActivity lastLook;
    private long lastLookNanos;
    private boolean notify;
    private int daemonPid;
    /** A pid of this start named without its lock held, decided at READY; 0 for none. */
    private int claimed;
    private String claimedAs;
    /** --notify / --ready-fd: only that report counts; null without. */
    private ServiceReadiness external;
    private long readyEnd;
    /** Every writer of the readiness pipe has closed it. */
    private boolean eof;
    /** The failure is the daemon's own ERROR line: it said why, no need to suggest --log. */
    private boolean daemonSaidWhy;
    /** Bytes read from the pipe that do not end in a newline yet. */
    private final StringBuilder pending = new StringBuilder();

    Startup(ChildProcess child, Fd readEnd, Pidfile pidfile, DaemonOptions options, Optional<Fd> log, DaemonLauncher.Grace grace,
            boolean waitReady) {
        this.child = child;
        this.readEnd = readEnd;
        this.pidfile = pidfile;
        this.options = options;
        this.log = log;
        this.grace = grace;
        this.notify = waitReady;
        this.daemonPid = child.pid();
    }

    /** --grace settled, and the program has not said it will report readiness itself. */
    private boolean watchingItSettle() {
        return grace.untilSettled() && !notify && external == null;
    }

    /**
     * The daemon's tree looked still across at least {@link DaemonLauncher#SETTLE_STEP} (the pipe
     * may end a wait early), and it is alive.
     */
    private boolean settled() {
        long at = System.nanoTime();
        ProcessActivity now = ProcessActivity.of(daemonPid);
        if (lastLook != null && now.stillSince(lastLook)) {
            return at - lastLookNanos >= DaemonLauncher.SETTLE_STEP.toNanos() && isAlive(daemonPid);
        }
        lastLook = now.allAsleep() ? now : null;
        lastLookNanos = at;
        return false;
    }

    /** Also waits for sd_notify READY=1 or a newline on the ready fd, instead of the grace period. */
    Startup external(ServiceReadiness r) {
        external = r;
        return this;
    }

    /** Waits until the daemon is up; throws {@link StartFailedException} after cleaning up otherwise. */
    DaemonLauncher.Outcome.Started await() throws IOException, InterruptedException {
        long start = System.nanoTime();
        long graceEnd = start + grace.max().toNanos();
        readyEnd = start + options.readyTimeout().toNanos();
        if (watchingItSettle()) {
            settled(); // the first look: a program like sleep is asleep already
        }
        while (true) {
            long now = System.nanoTime();
            boolean explicit = notify || external != null;
            long end = explicit ? readyEnd : Math.min(graceEnd, readyEnd);
            if (now >= end) {
                if (explicit) {
                    throw fail("did not report ready within " + options.readyTimeout().toMillis() + " ms"
                            + (external != null ? " (the start timeout" + (readyEnd - start > options.readyTimeout().toNanos()
                                    ? ", as extended by EXTEND_TIMEOUT_USEC)" : ")") : ""));
                }
                if (isAlive(daemonPid)) {
                    return started(false);
                }
                throw died(deathMessage());
            }
            // Watching it settle: wake when a step has passed since the last look (poll(2) may
            // return a little early: one more millisecond rather than a whole second step).
            long step = !watchingItSettle() ? 50
                    : lastLook == null ? DaemonLauncher.SETTLE_STEP.toMillis()
                    : Math.max(1, (lastLookNanos + DaemonLauncher.SETTLE_STEP.toNanos() - now) / 1_000_000 + 1);
            Optional<DaemonLauncher.Outcome.Started> up = readPipe(Duration.ofMillis(Math.min(step, (end - now) / 1_000_000 + 1)));
            if (up.isEmpty()) {
                up = checkExternal();
            }
            if (up.isPresent()) {
                return up.get();
            }
            checkChild();
            if (watchingItSettle() && settled()) { // asked again: a NOTIFY line just read means wait for READY
                return started(false);
            }
        }
    }

    /**
     * Waits up to {@code wait} for the readiness pipe and handles every complete line read; at
     * end of file (every writer gone) it only sleeps, to give the kernel a moment to report the
     * death.
     */
    private Optional<DaemonLauncher.Outcome.Started> readPipe(Duration wait) throws IOException, InterruptedException {
        if (eof) {
            Thread.sleep(Math.min(20, wait.toMillis()));
            return Optional.empty();
        }
        return Posix.pollReadable(readEnd, wait) ? readAvailable() : Optional.empty();
    }

    /** One read(2) of what the pipe holds (it is readable), every complete line handled. */
    private Optional<DaemonLauncher.Outcome.Started> readAvailable() throws IOException, InterruptedException {
        byte[] b = PosixFiles.read(readEnd, 512);
        if (b.length == 0) {
            eof = true;
            if (notify) {
                child.waitFor(Duration.ofMillis(200));
                throw fail("exited before reporting ready (" + deathMessage() + ")");
            }
        }
        pending.append(new String(b, StandardCharsets.UTF_8));
        int nl;
        while ((nl = pending.indexOf("\n")) >= 0) {
            String line = pending.substring(0, nl).trim();
            pending.delete(0, nl + 1);
            Optional<DaemonLauncher.Outcome.Started> up = handle(line);
            if (up.isPresent()) {
                return up;
            }
        }
        if (pending.length() > MAX_LINE) {
            throw fail("wrote more than " + MAX_LINE + " bytes without a newline on its readiness pipe");
        }
        return Optional.empty();
    }

    /**
     * The failure for a daemon seen dead. What it wrote before it died is already in the pipe
     * (an ERROR line saying why, e.g. a port in use), but the death may be noticed first, after a
     * read that returned only its PID line: the pipe is read to its current end before the bare
     * death is reported, so the daemon's own reason wins.
     */
    private StartFailedException died(String reason) throws IOException, InterruptedException {
        for (int i = 0; i < MAX_LINE && !eof && Posix.pollReadable(readEnd, Duration.ZERO); i++) {
            if (readAvailable().isPresent()) {
                break;
            }
        }
        return fail(reason);
    }

    private Optional<DaemonLauncher.Outcome.Started> handle(String line) throws IOException, InterruptedException {
        if (line.equals("NOTIFY")) {
            notify = true;
        } else if (line.startsWith("PID ")) {
            adoptPid(parsePid(line.substring(4).trim()), line.substring(4).trim());
        } else if (line.equals("READY")) {
            return Optional.of(started(true));
        } else if (line.startsWith("ERROR")) {
            // It said why and is exiting: a JVM daemon takes 0.3-0.8 s to get there (500 ms had it
            // reported as "left pid N running", then stopped); only one that stays costs the wait.
            child.waitFor(Duration.ofSeconds(3));
            daemonSaidWhy = true;
            throw fail(printable(line.substring(5)).trim());
        }
        return Optional.empty();
    }

    /**
     * A pid the daemon names as its own (a PID line, MAINPID=): believed only for a process of
     * ours that holds the pidfile's lock; then it is the pid written and waited for. A process
     * outside this start is refused at once. One of this start's own processes that is seen
     * without the lock is most likely on its way out: exit(2) closes its files, the inherited
     * lock among them, before it is a zombie, and a daemon that named itself and failed at once
     * (a port in use) is seen so while its ERROR line is still unread. It is not adopted; the
     * decision waits for READY ({@link #started}), and its ERROR line or death says the rest.
     */
    private void adoptPid(int pid, String shown) throws IOException {
        if (pid > 0 && !isAlive(pid)) {
            // Gone already (a daemon that failed right after saying who it is): nothing to
            // believe or signal; its ERROR line or exit tells the rest.
            return;
        }
        if (pid != child.pid() && !SessionCleanup.isOurs(pid)) {
            if (pid > 0 && !isAlive(pid)) {
                return; // it died while it was checked (a zombie is not ours): gone, as above
            }
            throw refused(shown);
        }
        if (pid == child.pid() || holdsLock(pid)) {
            adopt(pid);
        } else {
            claimed = pid;
            claimedAs = shown;
        }
    }

    /** The pid written and waited for from now on. */
    private void adopt(int pid) throws IOException {
        claimed = 0;
        daemonPid = pid;
        if (pidfile != null) {
            pidfile.write(pid);
        }
    }

    private StartFailedException refused(String shown) {
        return fail("it reported pid " + printable(shown) + ", which is not a process"
                + " daemonkit started that holds its pidfile's lock; refusing it");
    }

    /** The daemon is up: a pid it named without the lock must hold it by now, or the start fails. */
    private DaemonLauncher.Outcome.Started started(boolean ready) throws IOException, InterruptedException {
        if (claimed != 0) {
            int pid = claimed;
            if (!isAlive(pid)) {
                throw died("pid " + pid + ", which it reported as its own, exited before reporting ready");
            }
            if (!isOurs(pid)) {
                throw refused(claimedAs);
            }
            adopt(pid);
        }
        return new DaemonLauncher.Outcome.Started(daemonPid, ready);
    }

    /** sd_notify datagrams and the ready fd: READY, MAINPID, EXTEND_TIMEOUT_USEC, a hopeless state. */
    private Optional<DaemonLauncher.Outcome.Started> checkExternal() throws IOException, InterruptedException {
        if (external == null) {
            return Optional.empty();
        }
        for (ServiceReadiness.Event e : external.poll()) {
            switch (e) {
                case ServiceReadiness.Event.MainPid m -> adoptPid(m.pid(), "MAINPID=" + m.pid());
                case ServiceReadiness.Event.Extend x -> readyEnd = Math.max(readyEnd, System.nanoTime() + x.more().toNanos());
                case ServiceReadiness.Event.Failed f -> throw fail(f.reason());
                case ServiceReadiness.Event.Ready r -> {
                    return Optional.of(started(true));
                }
            }
        }
        return Optional.empty();
    }

    /** The direct child may be a first stage that exits 0 on purpose after handing over. */
    private void checkChild() throws IOException, InterruptedException {
        Optional<WaitStatus> st = child.poll();
        if (st.isPresent() && daemonPid == child.pid() && !(notify && st.get() instanceof WaitStatus.Exited ex
                && ex.code() == 0)) {
            throw died(deathMessage());
        }
        if (daemonPid != child.pid() && !isAlive(daemonPid)) {
            throw died("pid " + daemonPid + " exited before reporting ready");
        }
    }

    /**
     * The spawned child itself, or a descendant of this launcher (a subreaper while it starts, so
     * a double-forked daemon stays its descendant) that holds the pidfile's lock.
     */
    private boolean isOurs(int pid) {
        if (pid == child.pid()) {
            return true;
        }
        return SessionCleanup.isOurs(pid) && holdsLock(pid);
    }

    private boolean holdsLock(int pid) {
        return pidfile == null || FileLocks.holds(pid, pidfile.file());
    }

    private static int parsePid(String s) {
        try {
            return s.length() <= 10 ? Integer.parseInt(s) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private boolean isAlive(int pid) {
        if (pid == child.pid()) {
            return child.isAlive();
        }
        return ProcessTable.isLive(pid);
    }

    private String deathMessage() {
        if (daemonPid != child.pid()) {
            return "pid " + daemonPid + " is gone";
        }
        if (claimed != 0 && !isAlive(claimed)) {
            return "pid " + claimed + " (the pid it reported) is gone";
        }
        return child.poll().map(WaitStatus::outcome).orElse("it is gone");
    }

    /**
     * Stops everything the start left, then builds the exception: the reason, the last STATUS=
     * an sd_notify program sent (as systemctl status shows it), what was left running (a program
     * that went to the background), and the log's tail.
     */
    StartFailedException fail(String reason) {
        if (external != null) {
            reason += external.finalStatus().map(s -> " (its last status: " + printable(s) + ")").orElse("");
        }
        List<ProcessInfo> left = SessionCleanup.leftovers();
        boolean exitedZero = child.poll().map(s -> s instanceof WaitStatus.Exited e && e.code() == 0).orElse(false);
        if (exitedZero && !left.isEmpty() && daemonPid == child.pid()) {
            reason = "the program exited with status 0 but left " + SessionCleanup.describe(left)
                    + " running: it put itself in the background. Run it in the foreground (e.g. nginx -g"
                    + " 'daemon off;', redis-server --daemonize no), or use --forking if it writes its own pidfile";
        }
        return failure(reason, options, log, !daemonSaidWhy);
    }

    /**
     * Stops what the failed start left (the launcher's descendants), then builds the exception:
     * the reason, what was left running, and the tail of the log read through our descriptor.
     */
    static StartFailedException failure(String reason, DaemonOptions options, Optional<Fd> log) {
        return failure(reason, options, log, true);
    }

    /** {@link #failure(String, DaemonOptions, Optional)}; {@code hintLog}: without a log, suggest --log (not when the daemon said why). */
    static StartFailedException failure(String reason, DaemonOptions options, Optional<Fd> log, boolean hintLog) {
        List<ProcessInfo> left = SessionCleanup.leftovers();
        StringBuilder msg = new StringBuilder("daemon failed to start: ").append(reason);
        if (!left.isEmpty()) {
            if (!reason.contains("left pid")) {
                msg.append("; it left ").append(SessionCleanup.describe(left)).append(" running");
            }
            SessionCleanup.stop();
            msg.append("\ndaemonkit stopped what the failed start left running");
        }
        Path logName = options.stderr() != null ? options.stderr() : options.stdout();
        if (log.isPresent()) {
            List<String> tail = LaunchScope.tail(log.get(), 10);
            if (!tail.isEmpty()) {
                msg.append("\nlast lines of ").append(logName).append(':');
                tail.forEach(l -> msg.append("\n  ").append(printable(l)));
            }
        } else if (hintLog) {
            msg.append(" (its output went to /dev/null; use --log FILE to keep it)");
        }
        return new StartFailedException(msg.toString());
    }

    /** Control characters (terminal escapes) replaced: daemon output is printed to root's terminal. */
    static String printable(String s) {
        return ByteStrings.printable(s);
    }

}
