package dev.daemonkit.daemon;

import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.PosixFiles;
import dev.daemonkit.posix.ProcessControl;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.SignalDisposition;
import dev.daemonkit.process.ChildProcess;
import dev.daemonkit.process.Redirect;
import dev.daemonkit.process.Spawn;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one start of a daemon holds, and gives back when it ends: the logs it opened, the
 * descriptors to close, the subreaper role (orphans of the daemon come to the launcher while it
 * starts it, so that whatever the daemon puts in the background stays identifiable as ours), and
 * — when the start did not succeed — the duty to stop every descendant it left.
 */
final class LaunchScope implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DaemonLauncher.class);

    private final DaemonOptions options;
    private final boolean wasSubreaper;
    private final List<Fd> opened = new ArrayList<>();
    private final Fd out;
    private final Fd err;
    private ChildProcess child;
    private boolean succeeded;

    private LaunchScope(DaemonOptions options, boolean wasSubreaper) throws IOException {
        this.options = options;
        this.wasSubreaper = wasSubreaper;
        boolean forUser = options.user() != null;
        out = options.stdout() == null ? null : track(LogFile.openAppend(options.stdout(), forUser));
        err = options.stderr() == null ? null : options.stderr().equals(options.stdout()) ? out
                : track(LogFile.openAppend(options.stderr(), forUser));
    }

    /** Becomes a subreaper and opens the logs of the options. */
    static LaunchScope open(DaemonOptions options) throws IOException {
        boolean was = ProcessControl.isChildSubreaper();
        ProcessControl.setChildSubreaper(true);
        try {
            return new LaunchScope(options, was);
        } catch (IOException | RuntimeException e) {
            if (!was) {
                ProcessControl.setChildSubreaper(false);
            }
            throw e;
        }
    }

    /** Closes {@code fd} when the scope ends. */
    Fd track(Fd fd) {
        opened.add(fd);
        return fd;
    }

    /** The log a failure message shows the tail of (stderr's, else stdout's), if any. */
    Optional<Fd> log() {
        return Optional.ofNullable(err != null ? err : out);
    }

    /**
     * The spawn of a daemon: a new session, stdin from the options, stdout/stderr to the logs,
     * directory (the launch directory for a JVM re-launching itself), umask, environment, ignored
     * signals.
     */
    Spawn detached(List<String> command, boolean relaunch) {
        Spawn spawn = Spawn.of(command)
                .newSession()
                .directory(relaunch ? Path.of("").toAbsolutePath() : options.workingDirectory())
                .umask(options.umask())
                .stdin(Redirect.toFile(options.stdin()))
                .stdout(out != null ? Redirect.fd(out.number()) : Redirect.NULL)
                .stderr(err != null ? Redirect.fd(err.number()) : Redirect.NULL)
                .keepIgnored(options.ignoredSignals());
        if (options.stdout() != null) {
            spawn.env(DaemonLauncher.ENV_STDOUT, options.stdout().toAbsolutePath().toString());
        }
        if (options.stderr() != null) {
            spawn.env(DaemonLauncher.ENV_STDERR, options.stderr().toAbsolutePath().toString());
        }
        options.environment().forEach(spawn::env);
        return spawn;
    }

    /**
     * Starts the spawn with the options' ignored signals ignored for the moment of the spawn
     * (signals are inherited as "ignored" only if ignored at exec time), as the options' user when
     * {@code asUser}; our own dispositions are restored after.
     */
    ChildProcess start(Spawn spawn, boolean asUser) throws IOException {
        Map<Signal, SignalDisposition> saved = new EnumMap<>(Signal.class);
        synchronized (LaunchScope.class) {
            try {
                for (Signal s : options.ignoredSignals()) {
                    saved.put(s, Posix.signalDisposition(s));
                    Posix.sigaction(s, SignalDisposition.IGNORE);
                }
                if (asUser && options.user() != null) {
                    Privileges.Account a = Privileges.lookup(options.user(), options.group());
                    child = Privileges.withRealIds(a, () -> spawn.resetIds().start());
                } else {
                    child = spawn.start();
                }
                return child;
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

    /** The daemon is up: nothing it started is stopped when the scope ends. */
    void succeeded() {
        succeeded = true;
    }

    /** Closes what it opened; after a failed start, stops every descendant first. */
    @Override
    public void close() throws PosixException {
        opened.forEach(Fd::close);
        if (!succeeded && child != null) {
            SessionCleanup.stop(); // whatever path failed: nothing of this start may keep running
        }
        if (!wasSubreaper) {
            ProcessControl.setChildSubreaper(false);
        }
    }

    /**
     * The last {@code n} lines of a log we opened (at most its last 8 KiB), read through our own
     * descriptor — not the path, which the daemon's user may have pointed elsewhere meanwhile.
     */
    static List<String> tail(Fd log, int n) {
        try {
            if (!PosixFiles.fstat(log).isRegular()) {
                return List.of();
            }
        } catch (PosixException e) {
            return List.of();
        }
        try (var ch = java.nio.channels.FileChannel.open(Path.of("/proc/self/fd/" + log.number()))) {
            long size = ch.size();
            long from = Math.max(0, size - 8192);
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) (size - from));
            ch.read(buf, from);
            String[] lines = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).split("\n");
            List<String> last = new ArrayList<>();
            for (int i = Math.max(0, lines.length - n); i < lines.length; i++) {
                last.add(lines[i]);
            }
            return last;
        } catch (IOException e) {
            return List.of();
        }
    }
}
