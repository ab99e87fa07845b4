package dev.daemonkit.daemon;

import dev.daemonkit.internal.libc.Abi;
import dev.daemonkit.internal.libc.Libc;
import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.SignalDisposition;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.process.ChildProcess;
import dev.daemonkit.process.ProcessTable;
import dev.daemonkit.process.Redirect;
import dev.daemonkit.process.Spawn;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
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
 * ({@code DAEMONKIT_READY_FD=3}, see {@link Daemon#ready()}); fd 4 is the pidfile, locked with
 * flock ({@code DAEMONKIT_PIDFILE_FD=4}, {@code DAEMONKIT_PIDFILE}). A flock belongs to the open
 * file, so the daemon holds the lock for as long as it (or a child it passed fd 4 to) lives,
 * without knowing anything about daemonkit.
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
    /** How long a program that does not use daemonkit's readiness must stay alive to count as started. */
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(1);

    private DaemonLauncher() {
    }

    /** How a start ended. */
    public sealed interface Outcome {
        /** The daemon is up; {@code ready} tells whether it said so itself (else it merely stayed alive). */
        record Started(int pid, boolean ready) implements Outcome {
        }

        /** A live process already holds the pidfile. */
        record AlreadyRunning(Optional<Long> pid) implements Outcome {
        }
    }

    /**
     * Checks what can be checked before anything is started, so that bad input changes nothing:
     * the program exists and is executable, the directories exist, the log and pidfile can be
     * written, the user exists.
     *
     * @throws IllegalArgumentException with a message naming what is wrong
     */
    public static void check(DaemonOptions o, List<String> command) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no command to start");
        }
        try {
            Spawn.findProgram(command.get(0));
        } catch (PosixException e) {
            throw new IllegalArgumentException(command.get(0) + ": "
                    + (e.errno() == Errno.ENOENT ? "command not found" : e.errnoName() + " " + e.getMessage()));
        }
        if (!Files.isDirectory(o.workingDirectory())) {
            throw new IllegalArgumentException("working directory " + o.workingDirectory() + " does not exist");
        }
        for (Path log : new Path[] {o.stdout(), o.stderr()}) {
            if (log != null) {
                checkWritableFile("log file", log);
            }
        }
        if (o.pidfile() != null) {
            checkWritableFile("pidfile", o.pidfile());
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

    private static void checkWritableFile(String what, Path file) {
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException(what + " directory " + dir + " does not exist");
        }
        if (Files.exists(file) ? !Files.isWritable(file) : !Files.isWritable(dir)) {
            throw new IllegalArgumentException(what + " " + file + " is not writable"
                    + (Files.exists(file) ? "" : " (no write permission on " + dir + ")"));
        }
    }

    /**
     * Starts {@code command} as a daemon and waits until it is up.
     *
     * @param grace      how long a program that does not announce readiness must stay alive
     * @param waitReady  true: success only on an explicit READY (a daemonkit-aware program), within
     *                   the options' ready timeout
     * @param relaunch   false: any program, which gets the options' user from exec on
     *                   (POSIX_SPAWN_RESETIDS) and starts in the working directory; true: a daemonkit
     *                   JVM re-launching itself, which starts in this directory (so that its arguments
     *                   resolve as the user typed them) and changes directory and drops privileges itself
     * @throws StartFailedException when it died, reported an error, or was not ready in time; the
     *                              pidfile is removed and nothing is left running
     */
    public static Outcome start(DaemonOptions o, List<String> command, Map<String, String> extraEnv, Duration grace,
            boolean waitReady, boolean relaunch) throws IOException, InterruptedException {
        Pidfile pidfile = null;
        if (o.pidfile() != null) {
            try {
                pidfile = Pidfile.acquire(o.pidfile());
            } catch (AlreadyRunningException e) {
                Optional<Long> pid = e.pid().isPresent() ? Optional.of(e.pid().getAsLong()) : Optional.empty();
                return new Outcome.AlreadyRunning(pid);
            }
        }
        int logFd = -1;
        int errFd = -1;
        int readFd = -1;
        int writeFd = -1;
        ChildProcess child;
        boolean started = false;
        try {
            logFd = o.stdout() == null ? -1 : openLog(o.stdout());
            errFd = o.stderr() == null ? -1 : o.stderr().equals(o.stdout()) ? logFd : openLog(o.stderr());
            Posix.Pipe ready = Posix.pipe();
            readFd = ready.readFd();
            writeFd = ready.writeFd();
            Spawn spawn = Spawn.of(command)
                    .newSession()
                    .directory(relaunch ? Path.of("").toAbsolutePath() : o.workingDirectory())
                    .umask(o.umask())
                    .stdin(Redirect.toFile(o.stdin()))
                    .stdout(logFd >= 0 ? Redirect.fd(logFd) : Redirect.NULL)
                    .stderr(errFd >= 0 ? Redirect.fd(errFd) : Redirect.NULL)
                    .passFd(writeFd, ReadyPipe.CHILD_FD)
                    .env(ReadyPipe.ENV_FD, Integer.toString(ReadyPipe.CHILD_FD))
                    .keepIgnored(o.ignoredSignals());
            if (o.stdout() != null) {
                spawn.env(ENV_STDOUT, o.stdout().toAbsolutePath().toString());
            }
            if (o.stderr() != null) {
                spawn.env(ENV_STDERR, o.stderr().toAbsolutePath().toString());
            }
            o.environment().forEach(spawn::env);
            extraEnv.forEach(spawn::env);
            if (pidfile != null) {
                spawn.passFd(pidfile.fd(), PIDFILE_CHILD_FD)
                        .env(ENV_PIDFILE_FD, Integer.toString(PIDFILE_CHILD_FD))
                        .env(ENV_PIDFILE, pidfile.path().toString());
            }
            child = spawnIgnoring(spawn, o, !relaunch);
            LOG.debug("spawned {} as pid {}", command, child.pid());
            if (pidfile != null) {
                pidfile.write(child.pid());
            }
            // Our copy of the write end must go, or we would never see end of file.
            closeQuietly(writeFd);
            writeFd = -1;
            Outcome.Started up = await(child, readFd, pidfile, o, grace, waitReady);
            started = true;
            return up;
        } finally {
            closeQuietly(readFd);
            closeQuietly(writeFd);
            closeQuietly(logFd);
            if (errFd != logFd) {
                closeQuietly(errFd);
            }
            if (pidfile != null) {
                if (started) {
                    pidfile.detach(); // the daemon holds the lock through its own descriptor now
                } else {
                    pidfile.close(); // removes the file: nothing runs
                }
            }
        }
    }

    /**
     * Signals are inherited as "ignored" only if ignored at exec time, so the launcher ignores
     * them itself for the moment of the spawn, then restores its own handlers.
     */
    private static ChildProcess spawnIgnoring(Spawn spawn, DaemonOptions o, boolean asUser) throws IOException {
        Map<Signal, SignalDisposition> saved = new EnumMap<>(Signal.class);
        synchronized (DaemonLauncher.class) {
            try {
                for (Signal s : o.ignoredSignals()) {
                    saved.put(s, Posix.signalDisposition(s));
                    Posix.sigaction(s, SignalDisposition.IGNORE);
                }
                if (asUser && o.user() != null) {
                    Privileges.Account a = Privileges.lookup(o.user(), o.group());
                    return Privileges.withRealIds(a, () -> spawn.resetIds().start());
                }
                return spawn.start();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e.getMessage(), e);
            } finally {
                for (Map.Entry<Signal, SignalDisposition> e : saved.entrySet()) {
                    try {
                        Posix.sigaction(e.getKey(), e.getValue());
                    } catch (PosixException ex) {
                        LOG.warn("could not restore the disposition of {}: {}", e.getKey(), ex.getMessage());
                    }
                }
            }
        }
    }

    private static int openLog(Path log) throws PosixException {
        return Libc.open(log.toString(), Abi.O_WRONLY | Abi.O_CREAT | Abi.O_APPEND | Abi.O_CLOEXEC | Abi.O_NOCTTY, 0644);
    }

    /**
     * Reads the readiness protocol until the daemon is up or has failed. Returns the daemon's pid.
     */
    private static Outcome.Started await(ChildProcess child, int readFd, Pidfile pidfile, DaemonOptions o,
            Duration grace, boolean waitReady) throws IOException, InterruptedException {
        long start = System.nanoTime();
        long graceEnd = start + grace.toNanos();
        long readyEnd = start + o.readyTimeout().toNanos();
        boolean notify = waitReady;
        boolean eof = false;
        int daemonPid = child.pid();
        StringBuilder pending = new StringBuilder();
        while (true) {
            long now = System.nanoTime();
            long end = notify ? readyEnd : Math.min(graceEnd, readyEnd);
            if (now >= end) {
                if (notify) {
                    fail(daemonPid, o, "did not report ready within " + o.readyTimeout().toMillis() + " ms");
                }
                if (isAlive(child, daemonPid)) {
                    return new Outcome.Started(daemonPid, false);
                }
                fail(daemonPid, o, deathMessage(child, daemonPid));
            }
            boolean readable = !eof && Posix.pollReadable(readFd, Duration.ofMillis(Math.min(50, (end - now) / 1_000_000 + 1)));
            if (readable) {
                byte[] b = Posix.read(readFd, 512);
                if (b.length == 0) {
                    eof = true;
                    if (notify) {
                        // Every writer is gone without READY: give the kernel a moment to report the death.
                        child.waitFor(Duration.ofMillis(200));
                        fail(daemonPid, o, "exited before reporting ready (" + deathMessage(child, daemonPid) + ")");
                    }
                }
                pending.append(new String(b, StandardCharsets.UTF_8));
                int nl;
                while ((nl = pending.indexOf("\n")) >= 0) {
                    String line = pending.substring(0, nl).trim();
                    pending.delete(0, nl + 1);
                    if (line.equals("NOTIFY")) {
                        notify = true;
                    } else if (line.startsWith("PID ")) {
                        daemonPid = Integer.parseInt(line.substring(4).trim());
                        if (pidfile != null) {
                            pidfile.write(daemonPid);
                        }
                    } else if (line.equals("READY")) {
                        return new Outcome.Started(daemonPid, true);
                    } else if (line.startsWith("ERROR")) {
                        child.waitFor(Duration.ofMillis(500));
                        fail(daemonPid, o, line.substring(5).trim());
                    }
                }
            } else if (eof) {
                Thread.sleep(20);
            }
            // The direct child may be a first stage that exits 0 on purpose after handing over.
            Optional<WaitStatus> st = child.poll();
            if (st.isPresent() && daemonPid == child.pid()
                    && !(notify && st.get() instanceof WaitStatus.Exited ex && ex.code() == 0)) {
                fail(daemonPid, o, deathMessage(child, daemonPid));
            }
            if (daemonPid != child.pid() && !isAlive(child, daemonPid)) {
                fail(daemonPid, o, "pid " + daemonPid + " exited before reporting ready");
            }
        }
    }

    private static boolean isAlive(ChildProcess child, int pid) {
        if (pid == child.pid()) {
            return child.isAlive();
        }
        return ProcessTable.of(pid).map(p -> !p.isZombie()).orElse(false);
    }

    private static String deathMessage(ChildProcess child, int pid) {
        if (pid != child.pid()) {
            return "pid " + pid + " is gone";
        }
        return child.poll().map(DaemonLauncher::describe).orElse("it is gone");
    }

    /** "exited with status 3" / "killed by SIGSEGV (core dumped)". */
    static String describe(WaitStatus s) {
        return switch (s) {
            case WaitStatus.Exited e -> "exited with status " + e.code();
            case WaitStatus.Signaled g -> "killed by " + g.signalName() + (g.coreDumped() ? " (core dumped)" : "");
            default -> s.toString();
        };
    }

    /** Kills whatever was started, then throws with the reason and the log's tail. */
    private static void fail(int pid, DaemonOptions o, String reason) throws StartFailedException {
        try {
            if (ProcessTable.of(pid).map(p -> !p.isZombie()).orElse(false)) {
                Posix.kill(pid, Signal.SIGKILL);
            }
        } catch (PosixException e) {
            LOG.debug("kill {} after failed start: {}", pid, e.getMessage());
        }
        StringBuilder msg = new StringBuilder("daemon failed to start: " + reason);
        Path log = o.stderr() != null ? o.stderr() : o.stdout();
        if (log != null) {
            List<String> tail = tail(log, 10);
            if (!tail.isEmpty()) {
                msg.append("\nlast lines of ").append(log).append(':');
                tail.forEach(l -> msg.append("\n  ").append(l));
            }
        } else {
            msg.append(" (its output went to /dev/null; use --log FILE to keep it)");
        }
        throw new StartFailedException(msg.toString());
    }

    /** The last {@code n} lines of a file (reads at most its last 8 KiB). */
    static List<String> tail(Path file, int n) {
        try (var ch = java.nio.channels.FileChannel.open(file)) {
            long size = ch.size();
            long from = Math.max(0, size - 8192);
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) (size - from));
            ch.read(buf, from);
            String[] lines = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).split("\n");
            List<String> out = new ArrayList<>();
            for (int i = Math.max(0, lines.length - n); i < lines.length; i++) {
                out.add(lines[i]);
            }
            return out;
        } catch (IOException e) {
            return List.of();
        }
    }

    private static void closeQuietly(int fd) {
        if (fd >= 0) {
            try {
                Posix.close(fd);
            } catch (PosixException ignored) {
                // already closed
            }
        }
    }
}
