package dev.daemonkit.daemon;

import dev.daemonkit.posix.Errno;
import dev.daemonkit.posix.Fd;
import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.process.FileLocks;
import dev.daemonkit.process.ProcessInfo;
import dev.daemonkit.process.ProcessTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Status, stop and signalling of a daemon known by its pidfile, the way LSB init scripts do it,
 * without trusting the pidfile's text. The daemon is the process holding the pidfile's lock
 * (found in /proc, without locking: looking never disturbs a concurrent stop or start); the pid
 * written in the file is a hint checked against it. Signals go through a pidfd opened, then
 * checked again, so a recycled pid is never hit. An unlocked pidfile (written by nginx, redis,
 * an init script) is reported honestly and signalled only when the caller states the process's
 * {@link Identity}, as start-stop-daemon's --exec/--user. Pid 1, the caller and its ancestors are
 * never signalled.
 */
public final class DaemonControl {
    private DaemonControl() {
    }

    /** How a running daemon was recognised. */
    public enum Evidence {
        /** It holds the pidfile's lock. */
        LOCK,
        /** The pidfile is locked, but this user cannot inspect its holder (another user's process). */
        LOCK_UNVERIFIED,
        /** Unlocked pidfile; the process matches the identity the caller stated (--exec/--user). */
        IDENTITY,
        /** Started with --forking: the identity daemonkit recorded when it verified the daemon. */
        RECORD,
        /** Unlocked pidfile naming a live process; nothing proves it is the daemon. */
        UNVERIFIED
    }

    /** A daemon's status, with the LSB exit code {@code daemonkit status} returns for it. */
    public sealed interface Status {
        /** The LSB code: 0 running, 1 dead but pidfile exists, 3 not running, 4 unknown. */
        int lsbCode();

        /** A line for people. */
        String describe();

        /** Running; {@code info} is empty only if /proc could not be read. */
        record Running(int pid, Optional<ProcessInfo> info, Evidence evidence, Optional<String> note) implements Status {
            public int lsbCode() {
                return 0;
            }

            public String describe() {
                String how = switch (evidence) {
                    case LOCK -> "";
                    case LOCK_UNVERIFIED -> "; it holds the pidfile's lock as far as this user can tell";
                    case IDENTITY -> "; pidfile not locked, identity checked";
                    case RECORD -> "; started with --forking, identity recorded by daemonkit";
                    case UNVERIFIED -> "; pidfile not locked, not started by daemonkit: identity not verified"
                            + " (see --exec/--user)";
                };
                String head = pid > 0 ? "running (pid " + pid + how + ")"
                        : "running (its pidfile's lock is held by a process this user cannot see; the pids"
                                + " it names have exited)";
                return info.map(i -> head + ", up " + human(i.uptime()) + ": " + Startup.printable(i.commandText())).orElse(head)
                        + note.map(n -> " [" + n + "]").orElse("");
            }
        }

        /** The pidfile exists but nothing runs: the daemon died without cleaning up. */
        record Dead(OptionalInt pid, String reason) implements Status {
            public int lsbCode() {
                return 1;
            }

            public String describe() {
                return "dead but pidfile exists (" + reason + ")";
            }
        }

        /** No pidfile. */
        record NotRunning() implements Status {
            public int lsbCode() {
                return 3;
            }

            public String describe() {
                return "not running";
            }
        }

        /** Cannot tell: not a pidfile, a symlink, another user's file, a file holding no pid. */
        record Unknown(String reason) implements Status {
            public int lsbCode() {
                return 4;
            }

            public String describe() {
                return "unknown: " + reason;
            }
        }
    }

    /** Reads the status from the pidfile, its lock and /proc. */
    public static Status status(Path pidfile) {
        return status(pidfile, Identity.none());
    }

    /** The status, checking an unlocked pidfile's process against the stated identity. */
    public static Status status(Path pidfile, Identity expected) {
        Resolved resolved = Resolved.of(pidfile, expected, false);
        if (resolved instanceof Resolved.NotRunning) {
            return new Status.NotRunning(); // before the switch: see Resolved.of
        }
        return switch (resolved) {
            case Resolved.NotRunning n -> new Status.NotRunning();
            case Resolved.Bad b -> new Status.Unknown(b.reason());
            case Resolved.Empty e -> new Status.Dead(OptionalInt.empty(), pidfile + " is empty");
            case Resolved.Stale s -> new Status.Dead(OptionalInt.of(s.pid()), "pid " + s.pid() + " is gone");
            case Resolved.Locked l -> new Status.Running(l.daemon(), ProcessTable.of(l.daemon()), Evidence.LOCK,
                    l.mismatch().or(l::hintNote));
            case Resolved.LockedUnverified u -> new Status.Running(u.pid(), ProcessTable.of(u.pid()),
                    Evidence.LOCK_UNVERIFIED, Optional.empty());
            case Resolved.Recorded r -> r.mismatch().isPresent()
                    ? new Status.Dead(OptionalInt.of(r.pid()), r.mismatch().get())
                    : new Status.Running(r.pid(), ProcessTable.of(r.pid()), Evidence.RECORD, r.hintNote());
            case Resolved.Foreign f -> {
                if (f.mismatch().isPresent()) {
                    yield new Status.Dead(OptionalInt.of(f.pid()), f.mismatch().get());
                }
                yield new Status.Running(f.pid(), ProcessTable.of(f.pid()),
                        f.identityStated() ? Evidence.IDENTITY : Evidence.UNVERIFIED, Optional.empty());
            }
        };
    }

    /** How a stop ended. */
    public sealed interface StopResult {
        /** It was running and is gone now; {@code killed} if SIGKILL was needed. */
        record Stopped(int pid, boolean killed, Optional<String> note) implements StopResult {
        }

        /** Nothing was running; {@code detail} says what was done with the pidfile, if anything. */
        record NotRunning(boolean removedStale, Optional<String> detail) implements StopResult {
        }
    }

    /** {@link #stop(Path, Signal, Duration, Identity)} without a stated identity. */
    public static StopResult stop(Path pidfile, Signal signal, Duration timeout) throws IOException {
        return stop(pidfile, signal, timeout, Identity.none());
    }

    /**
     * Sends {@code signal} to the daemon, waits up to {@code timeout} for it to exit, then SIGKILLs
     * it; then stops what it left holding the lock or in its session, and removes the pidfile if
     * the daemon did not.
     *
     * @throws PidfileException when the path is not a pidfile (badInput), or daemonkit refuses to
     *                          act on what it names (unlocked without a matching identity, pid 1...)
     * @throws IOException      when the daemon cannot be signalled (EPERM) or survives SIGKILL
     */
    public static StopResult stop(Path pidfile, Signal signal, Duration timeout, Identity expected) throws IOException {
        return StopSequence.stop(pidfile, signal, timeout, expected);
    }

    /**
     * Sends one signal to the running daemon through a pidfd (reload, log reopening).
     *
     * @param requireHandler refuse unless the process catches the signal (SigCgt), so that a
     *                       SIGHUP meant as "reload" cannot kill a program that does not handle it
     * @return the pid signalled
     */
    public static int signal(Path pidfile, Signal signal, Identity expected, boolean requireHandler) throws IOException {
        Resolved r = Resolved.of(pidfile, expected, false);
        if (r instanceof Resolved.NotRunning) {
            throw new IOException("daemon is " + new Status.NotRunning().describe()); // before the switch: see Resolved.of
        }
        int pid = switch (r) {
            case Resolved.Locked l -> {
                guard(l.daemon());
                refuseMismatch(l.mismatch());
                yield l.daemon();
            }
            case Resolved.Foreign f -> {
                guard(f.pid());
                refuseForeign(pidfile, f);
                yield f.pid();
            }
            case Resolved.Recorded rec -> {
                guard(rec.pid());
                refuseMismatch(rec.mismatch());
                yield rec.pid();
            }
            case Resolved.Bad b -> throw b.badInput() ? PidfileException.notAPidfile(b.reason())
                    : PidfileException.refused(b.reason());
            default -> throw new IOException("daemon is " + status(pidfile, expected).describe());
        };
        if (requireHandler && !catches(pid, signal)) {
            throw PidfileException.refused("pid " + pid + " does not catch " + signal + "; it would be killed by it"
                    + " (use --force to send it anyway)");
        }
        try (Fd pidfd = Posix.openPidfd(pid)) {
            if (!stillTheTarget(r, pid, expected)) {
                throw new IOException("pid " + pid + " exited while being signalled");
            }
            Posix.pidfdSendSignal(pidfd, signal);
            return pid;
        } catch (PosixException e) {
            if (e.errno() == Errno.ESRCH) {
                throw new IOException("pid " + pid + " exited while being signalled", e);
            }
            throw e;
        }
    }

    /** After the pidfd is open (it pins the process): is it still the one we identified? */
    static boolean stillTheTarget(Resolved r, int pid, Identity expected) {
        return switch (r) {
            case Resolved.Recorded rec -> ForkingRecord.livePid(rec.pidfile()).orElse(-1) == pid
                    && expected.mismatch(pid).isEmpty();
            case Resolved.Locked l -> FileLocks.holds(pid, l.file().file()) && expected.mismatch(pid).isEmpty();
            case Resolved.Foreign f -> expected.isStated() && expected.mismatch(pid).isEmpty()
                    && ProcessTable.isLive(pid);
            default -> false;
        };
    }

    static void refuseMismatch(Optional<String> mismatch) throws PidfileException {
        if (mismatch.isPresent()) {
            throw PidfileException.refused(mismatch.get() + "; not signalling it");
        }
    }

    /** An unlocked pidfile is acted on only with a stated, matching identity. */
    static void refuseForeign(Path pidfile, Resolved.Foreign f) throws PidfileException {
        if (!f.identityStated()) {
            throw PidfileException.refused(pidfile + " is not locked: daemonkit did not start pid " + f.pid()
                    + ", and it may be any process by now. To act on it anyway, state what it must be, as with"
                    + " start-stop-daemon: --exec /path/to/its/program and/or --user NAME");
        }
        refuseMismatch(f.mismatch());
    }

    /** Refuses pid 1, the caller and its ancestors. */
    static void guard(int pid) throws PidfileException {
        Optional<String> why = ProtectedPids.reason(pid);
        if (why.isPresent()) {
            throw PidfileException.refused("refusing to signal pid " + pid + ": " + why.get());
        }
    }

    /**
     * Whether the process has a handler for the signal (SigCgt in /proc/PID/status): sending
     * SIGHUP or SIGUSR1 to a program that does not catch it would kill it instead of reloading.
     */
    public static boolean catches(int pid, Signal signal) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("SigCgt:")) {
                long mask = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                return (mask & (1L << (signal.number() - 1))) != 0;
            }
        }
        return false;
    }

    /** 3d4h, 2h5m, 4m10s, 12s. */
    static String human(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s >= 86400) {
            return s / 86400 + "d" + s % 86400 / 3600 + "h";
        }
        if (s >= 3600) {
            return s / 3600 + "h" + s % 3600 / 60 + "m";
        }
        if (s >= 60) {
            return s / 60 + "m" + s % 60 + "s";
        }
        return s + "s";
    }
}
