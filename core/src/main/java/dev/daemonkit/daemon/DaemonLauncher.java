package dev.daemonkit.daemon;

import dev.daemonkit.notify.ServiceProtocol;
import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.process.ActivationSockets;
import dev.daemonkit.process.ChildProcess;
import dev.daemonkit.process.ExecException;
import dev.daemonkit.process.ProcessInfo;
import dev.daemonkit.process.ProcessTable;
import dev.daemonkit.process.Spawn;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The launching side of a daemon: starts a command detached (posix_spawn with a new session,
 * stdin from /dev/null, stdout/stderr to the log, directory and umask applied), hands it the
 * locked pidfile and a readiness pipe, and returns only when it is known whether the daemon came
 * up. Used by {@code daemonkit start} for any command and by {@link Daemon#daemonize} to
 * re-launch the JVM.
 *
 * <p>What the daemon inherits: fd 3 is the write end of the readiness pipe
 * ({@code DAEMONKIT_READY_FD=3}, see {@link Daemon#ready()}); fd 4 is a read-only descriptor of
 * the pidfile carrying its flock ({@code DAEMONKIT_PIDFILE_FD=4}, {@code DAEMONKIT_PIDFILE}). A
 * flock belongs to the open file, so the daemon holds the lock for as long as it (or a child it
 * passed fd 4 to) lives, without knowing anything about daemonkit — and cannot rewrite its pid:
 * the launcher writes it, through a descriptor of its own, and only a pid it verified.
 */
public final class DaemonLauncher {
    private static final Logger LOG = LoggerFactory.getLogger(DaemonLauncher.class);

    /** Environment variable naming the inherited pidfile descriptor. */
    public static final String ENV_PIDFILE_FD = "DAEMONKIT_PIDFILE_FD";
    /** Environment variable naming the pidfile's path. */
    public static final String ENV_PIDFILE = "DAEMONKIT_PIDFILE";
    /** The daemon's stdout log path, so a daemonkit daemon can reopen it on SIGUSR1. */
    public static final String ENV_STDOUT = "DAEMONKIT_STDOUT";
    /** The daemon's stderr log path. */
    public static final String ENV_STDERR = "DAEMONKIT_STDERR";
    /** The fd number the pidfile gets in the daemon. */
    static final int PIDFILE_CHILD_FD = 4;
    /**
     * How a program that reports no readiness counts as started: alive after {@code max}, or, with
     * {@code untilSettled}, as soon as it has settled before that — every process it started
     * asleep and none of them using CPU for {@link #SETTLE_STEP}. Settling is fast (a program
     * like sleep settles ~5 ms after its spawn) and still fails a program that fails while it is
     * busy starting (a bad flag, a missing file, a port in use), but it cannot tell waiting for
     * work from waiting for a dependency: a program that waits a few milliseconds on a database,
     * DNS, SSH or a lock and then fails is seen as started. The default is therefore the whole
     * second.
     */
    public record Grace(Duration max, boolean untilSettled) {
        /** Alive for the whole of {@code d} (supervisord's startsecs). */
        public static Grace full(Duration d) {
            return new Grace(d, false);
        }

        /** Settled, or alive for {@code max} if it keeps busy that long. */
        public static Grace untilSettled(Duration max) {
            return new Grace(max, true);
        }
    }

    /** How long the program must be seen still (asleep, no CPU used) to count as settled. */
    public static final Duration SETTLE_STEP = Duration.ofMillis(5);

    /** The default: alive for 1 s (supervisord's startsecs). */
    public static final Grace DEFAULT_GRACE = Grace.full(Duration.ofSeconds(1));

    /** {@code start --grace settled}: settled, or alive after 1 s if it keeps busy. */
    public static final Grace SETTLED = Grace.untilSettled(Duration.ofSeconds(1));

    private DaemonLauncher() {
    }

    /** How a start ended. */
    public sealed interface Outcome {
        /** The daemon is up; {@code ready} tells whether it said so itself (else it merely settled or stayed alive). */
        record Started(int pid, boolean ready) implements Outcome {
        }

        /** A live process already holds the pidfile. */
        record AlreadyRunning(Optional<Long> pid) implements Outcome {
        }
    }

    /**
     * Checks what can be checked before anything is started, so that bad input changes nothing:
     * the program exists and is executable, the directories exist, the log and pidfile can be
     * written and are what they claim to be, the user exists.
     *
     * @throws IllegalArgumentException with a message naming what is wrong
     */
    public static void check(DaemonOptions o, List<String> command) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no command to start");
        }
        try {
            Spawn.findProgram(Spawn.anchorProgram(command).get(0));
        } catch (ExecException e) {
            throw new IllegalArgumentException(e.getMessage()); // "x: command not found", "x: is a directory"...
        }
        if (!Files.isDirectory(o.workingDirectory())) {
            throw new IllegalArgumentException("working directory " + o.workingDirectory() + " does not exist");
        }
        for (Path log : new Path[] {o.stdout(), o.stderr()}) {
            if (log != null) {
                checkWritableFile("log file", log);
                String problem = LogFile.problem(log, o.user() != null);
                if (problem != null) {
                    throw new IllegalArgumentException(problem);
                }
            }
        }
        if (o.pidfile() != null) {
            checkWritableFile("pidfile", o.pidfile());
            checkPidfile(o.pidfile());
        }
        if (o.user() != null) {
            try {
                Privileges.lookup(o.user(), o.group());
            } catch (PosixException e) {
                throw new IllegalArgumentException("user " + o.user() + (o.group() != null ? " / group " + o.group() : "")
                        + ": " + e.getMessage());
            }
            if (Posix.geteuid() != 0) {
                throw new IllegalArgumentException("--user needs root (this is uid " + Posix.geteuid() + ")");
            }
        }
    }

    /** A path given as pidfile must be nothing yet, or a pidfile: never a directory, FIFO or config file. */
    private static void checkPidfile(Path pidfile) {
        switch (PidfileProbe.inspect(pidfile, false)) {
            case PidfileProbe.NotAPidfile n -> throw new IllegalArgumentException(n.reason());
            case PidfileProbe.Untrusted u -> throw new IllegalArgumentException(u.reason());
            case PidfileProbe.Regular r when r.content().isGarbage() -> throw new IllegalArgumentException(
                    pidfile + " holds '" + r.content().text() + "', not a pid: refusing to overwrite it");
            default -> {
            }
        }
    }

    private static void checkWritableFile(String what, Path file) {
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException(what + " directory " + dir + " does not exist");
        }
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(what + " " + file + " is a directory");
        }
        Path target = Files.exists(file) ? file : dir;
        if (!Files.isWritable(target)) {
            // access(2) says no to root too on a read-only mount: say which it is.
            throw new IllegalArgumentException(what + (target == dir ? " directory " : " ") + target + " is not writable ("
                    + (readOnlyFileSystem(target) ? "read-only file system" : "no write permission") + ")");
        }
    }

    private static boolean readOnlyFileSystem(Path p) {
        try {
            return Files.getFileStore(p).isReadOnly();
        } catch (IOException e) {
            return false;
        }
    }

    /** Looks at the lock again this often when the holder it named has just exited. */
    private static final int HOLDER_GONE_RETRIES = 20;

    /**
     * Starts {@code command} as a daemon and waits until it is up.
     *
     * @param grace      when a program that does not announce readiness counts as started
     * @param waitReady  true: success only on an explicit READY (a daemonkit-aware program), within
     *                   the options' ready timeout
     * @param relaunch   false: any program, which gets the options' user from exec on
     *                   (POSIX_SPAWN_RESETIDS) and starts in the working directory; true: a daemonkit
     *                   JVM re-launching itself, which starts in this directory (so that its arguments
     *                   resolve as the user typed them) and changes directory and drops privileges itself
     * @throws StartFailedException when it died, reported an error, or was not ready in time; the
     *                              pidfile is removed and nothing it started is left running
     */
    public static Outcome start(DaemonOptions o, List<String> command, Map<String, String> extraEnv, Grace grace,
            boolean waitReady, boolean relaunch) throws IOException, InterruptedException {
        return start(o, command, extraEnv, grace, waitReady, relaunch, ServiceProtocol.NONE);
    }

    /**
     * {@link #start(DaemonOptions, List, Map, Grace, boolean, boolean)} for a program that
     * reports readiness systemd's or s6's way, or gets listening sockets ({@code service}; its
     * start timeout is the options' ready timeout). The listening sockets take fds 3.. and the
     * ready fd its own number; the readiness pipe and the pidfile descriptor move above them
     * (their numbers are in the environment). The last STATUS= sent before READY=1 is kept
     * beside the pidfile for {@code status} ({@link StatusNote}).
     *
     * @throws IllegalArgumentException {@code service} has a watchdog: nothing would be left to
     *                                  watch it once the launcher has returned (supervise does that)
     */
    public static Outcome start(DaemonOptions o, List<String> command, Map<String, String> extraEnv, Grace grace,
            boolean waitReady, boolean relaunch, ServiceProtocol service) throws IOException, InterruptedException {
        command = Spawn.anchorProgram(command); // ./run.sh: in the launch directory, not the daemon's "/"
        if (service.hasWatchdog()) {
            throw new IllegalArgumentException("a watchdog needs a process that keeps watching: use supervise");
        }
        Pidfile pidfile = null;
        for (int attempt = 1; o.pidfile() != null && pidfile == null; attempt++) {
            try {
                pidfile = Pidfile.acquireToHandOver(o.pidfile());
            } catch (AlreadyRunningException e) {
                if (e.pid().isEmpty()) {
                    return new Outcome.AlreadyRunning(Optional.empty());
                }
                int holder = (int) e.pid().getAsLong();
                // Unknown (-1) once the process has exited, between the lock query and now.
                Optional<Integer> uid = ProcessTable.of(holder).map(ProcessInfo::uid).filter(u -> u >= 0);
                if (uid.isEmpty() && e.holderSeen() && attempt < HOLDER_GONE_RETRIES) {
                    Thread.sleep(50); // the holder just exited (a start a racing stop ended): look again
                    continue;
                }
                refuseAStrangersLock(o, holder, uid, e.holderSeen());
                return new Outcome.AlreadyRunning(Optional.of((long) holder));
            }
        }
        boolean started = false;
        try {
            try (LaunchScope scope = LaunchScope.open(o);
                    ActivationSockets sockets = service.listen().isEmpty() ? null : ActivationSockets.bind(service.listen());
                    ServiceReadiness external = ServiceReadiness.open(service)) {
                PosixFiles.Pipe ready = PosixFiles.pipe();
                Fd readEnd = scope.track(ready.readEnd());
                Fd writeEnd = scope.track(ready.writeEnd());
                int readyPipeFd = freeFd(ReadyPipe.CHILD_FD + service.listen().size(), service.readyFd());
                int pidfileFd = freeFd(readyPipeFd + 1, service.readyFd());
                Spawn spawn = scope.detached(command, relaunch)
                        .passFd(writeEnd.number(), readyPipeFd)
                        .env(ReadyPipe.ENV_FD, Integer.toString(readyPipeFd));
                extraEnv.forEach(spawn::env);
                if (sockets != null) {
                    sockets.passTo(spawn);
                }
                if (external != null) {
                    external.passTo(spawn);
                }
                if (pidfile != null) {
                    spawn.passFd(pidfile.lockFd().number(), pidfileFd)
                            .env(ENV_PIDFILE_FD, Integer.toString(pidfileFd))
                            .env(ENV_PIDFILE, pidfile.path().toString());
                }
                ChildProcess child = scope.start(spawn, !relaunch);
                LOG.debug("spawned {} as pid {}", command, child.pid());
                if (pidfile != null) {
                    pidfile.write(child.pid());
                    pidfile.handOver(); // the lock is the child's now: a stop finds the daemon, not us
                }
                // Our copy of the write end must go, or we would never see end of file.
                writeEnd.close();
                if (external != null) {
                    external.spawned();
                }
                Outcome.Started up = new Startup(child, readEnd, pidfile, o, scope.log(), grace, waitReady)
                        .external(external).await();
                if (pidfile != null) {
                    StatusNote.write(pidfile.path(), external == null ? Optional.empty() : external.status());
                }
                scope.succeeded();
                started = true;
                return up;
            } // a failed start has stopped every descendant here, so none holds the pidfile below
        } finally {
            if (pidfile != null) {
                if (started) {
                    pidfile.detach(); // the daemon holds the lock through its own descriptor now
                } else {
                    pidfile.close(); // removes the file once nothing holds it
                }
            }
        }
    }

    /**
     * Whoever can read a pidfile can flock it: a lock held by a process of another user — neither
     * root, the caller nor the --user this start would run the daemon as — is no daemon this start
     * could have made, and "already running" (exit 0) would be a lie that stops the real daemon
     * from starting. Refused (exit 1) with who holds it. A caller who cannot see the holders (not
     * root, another user's descriptors) only learns the pid that took the lock; when that one has
     * exited, a child it passed the descriptor to holds on, unseen — no daemon of the caller's
     * would be invisible to it, so that is refused too.
     */
    private static void refuseAStrangersLock(DaemonOptions o, int holder, Optional<Integer> uid, boolean holderSeen)
            throws IOException {
        if (uid.isEmpty()) {
            if (holderSeen) {
                return; // seen holding it and gone since, again and again: report what was seen
            }
            throw PidfileException.refused(o.pidfile() + " is locked by a process you cannot see (pid " + holder
                    + ", which took the lock, has exited; a process it passed the lock to holds it) - not a daemon"
                    + " you started; nothing was started (anyone who can read a pidfile can lock it: keep it in a"
                    + " directory other users cannot read)");
        }
        if (uid.get() == 0 || uid.get() == Posix.geteuid()) {
            return;
        }
        if (o.user() != null && uid.get() == Privileges.lookup(o.user(), o.group()).uid()) {
            return;
        }
        throw PidfileException.refused(o.pidfile() + " is locked by pid " + holder + ", which runs as uid " + uid.get()
                + " - neither root, you nor --user - so it is no daemon this start would have made; nothing was started"
                + " (anyone who can read a pidfile can lock it: keep it in a directory other users cannot read)");
    }

    /**
     * Starts a program that daemonizes itself and writes its own pidfile ({@code start --forking},
     * systemd's Type=forking with PIDFile=): success once its first process exited 0 and the pidfile
     * names a descendant of ours, whose identity is then recorded beside the pidfile. The pidfile
     * is the program's: daemonkit neither creates nor locks it.
     *
     * @throws StartFailedException when the program failed, stayed in the foreground, or wrote no
     *                              (or a foreign) pid in time; nothing it started is left running
     */
    public static Outcome startForking(DaemonOptions o, List<String> command) throws IOException, InterruptedException {
        command = Spawn.anchorProgram(command);
        Path pidfile = o.pidfile();
        switch (Resolved.of(pidfile, Identity.none(), false)) {
            case Resolved.Recorded r -> {
                return new Outcome.AlreadyRunning(Optional.of((long) r.pid()));
            }
            case Resolved.Locked l -> {
                return new Outcome.AlreadyRunning(Optional.of((long) l.daemon()));
            }
            case Resolved.Foreign f -> throw PidfileException.refused(pidfile + " names pid " + f.pid() + ", which is"
                    + " running but was not started by daemonkit; not starting a second copy (stop it first)");
            case Resolved.Bad b -> throw b.badInput() ? PidfileException.notAPidfile(b.reason())
                    : PidfileException.refused(b.reason());
            default -> {
            }
        }
        ForkingRecord.checkDirectory(pidfile);
        boolean started = false;
        try {
            try (LaunchScope scope = LaunchScope.open(o)) {
                ChildProcess child = scope.start(scope.detached(command, false), true);
                int pid = ForkingStart.await(child, pidfile, o, scope.log());
                scope.succeeded();
                started = true;
                return new Outcome.Started(pid, true);
            } // a failed start has stopped every descendant here
        } finally {
            if (!started && PidfileProbe.inspect(pidfile, false) instanceof PidfileProbe.Regular r && !r.lock().locked()) {
                Pidfile.removeIfStale(pidfile, r.file()); // what the program wrote names no live process now
            }
        }
    }

    /** {@code from}, or the next number that is not {@code taken}. */
    private static int freeFd(int from, int taken) {
        return from == taken ? from + 1 : from;
    }
}
