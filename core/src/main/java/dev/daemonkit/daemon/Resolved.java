package dev.daemonkit.daemon;

import dev.daemonkit.process.ProcessTable;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a pidfile leads to, decided from one {@link PidfileProbe} snapshot: the daemon proven by
 * the pidfile's lock, a process named by an unlocked pidfile (with the identity check the user
 * asked for), or why there is nothing to act on. The pid written in the file is only a hint.
 */
sealed interface Resolved {

    /** No pidfile. */
    record NotRunning() implements Resolved {
    }

    /** Not a usable pidfile; {@code badInput} when it is not a pidfile at all (else: untrusted). */
    record Bad(String reason, boolean badInput) implements Resolved {
    }

    /** An unlocked, empty pidfile (its launcher died before writing a pid). */
    record Empty(PidfileProbe.Regular file) implements Resolved {
    }

    /** An unlocked pidfile naming a pid that is gone (or a zombie). */
    record Stale(PidfileProbe.Regular file, int pid) implements Resolved {
    }

    /**
     * Locked: {@code daemon} holds the lock (the named pid if it holds it, else the oldest holder);
     * {@code holders} every process found holding it.
     */
    record Locked(PidfileProbe.Regular file, int daemon, List<Integer> holders, Optional<String> mismatch)
            implements Resolved {
        /** When the written pid is not the lock's holder: said in status and stop. */
        Optional<String> hintNote() {
            var hint = file.content().pid();
            if (hint.isPresent() && hint.getAsInt() != daemon) {
                return Optional.of("the pidfile names pid " + hint.getAsInt() + ", which does not hold its lock");
            }
            return Optional.empty();
        }
    }

    /**
     * Locked, but this user cannot see by whom (another user's processes): {@code pid} is a guess,
     * -1 when neither the pidfile's pid nor the lock's taker is alive (the lock was passed on to a
     * child of an exited process, which only /proc/PID/fd, unreadable here, would show).
     */
    record LockedUnverified(PidfileProbe.Regular file, int pid) implements Resolved {
    }

    /** The pidfile's pid or else the lock's taker, whichever is alive; -1 for neither. */
    private static int visibleGuess(OptionalInt written, OptionalInt taker) {
        for (OptionalInt pid : List.of(written, taker)) {
            if (pid.isPresent() && ProcessTable.isLive(pid.getAsInt())) {
                return pid.getAsInt();
            }
        }
        return -1;
    }

    /**
     * Unlocked, naming a live process: not started by daemonkit, or its pid was reused. Acted on
     * only when the user stated an identity and it matches ({@code mismatch} empty).
     */
    record Foreign(PidfileProbe.Regular file, int pid, boolean identityStated, Optional<String> mismatch)
            implements Resolved {
    }

    /**
     * A daemon started with {@code --forking}: no lock, but its identity (pid, start time, boot)
     * was recorded beside the pidfile by the launcher that verified it; {@code file} is the
     * program's pidfile, if there is one now.
     */
    record Recorded(Path pidfile, Optional<PidfileProbe.Regular> file, int pid, Optional<String> mismatch)
            implements Resolved {
        Optional<String> hintNote() {
            var hint = file.flatMap(f -> f.content().pid().isPresent() ? Optional.of(f.content().pid().getAsInt())
                    : Optional.empty());
            return hint.filter(h -> h != pid).map(h -> "the pidfile names pid " + h + "; daemonkit recorded pid " + pid
                    + " when it started the daemon");
        }
    }

    /** No pidfile: not running, unless a --forking daemon's record names a live process. */
    private static Resolved missing(Path pidfile, Identity expected) {
        var recorded = ForkingRecord.livePid(pidfile);
        if (recorded.isPresent()) {
            return new Recorded(pidfile, Optional.empty(), recorded.getAsInt(), expected.mismatch(recorded.getAsInt()));
        }
        return new NotRunning();
    }

    /** Resolves the pidfile; {@code allHolders} looks for every holder of its lock (stop needs them). */
    static Resolved of(Path pidfile, Identity expected, boolean allHolders) {
        for (int attempt = 0; ; attempt++) {
            PidfileProbe.Finding found = PidfileProbe.inspect(pidfile, allHolders);
            if (found instanceof PidfileProbe.Missing) {
                // The common case, before the switch: a pattern switch's first run spins a class
                // (~2 ms of a 40 ms status of a daemon that is not running).
                return missing(pidfile, expected);
            }
            switch (found) {
                case PidfileProbe.Missing m -> {
                    return missing(pidfile, expected);
                }
                case PidfileProbe.NotAPidfile n -> {
                    return new Bad(n.reason(), true);
                }
                case PidfileProbe.Untrusted u -> {
                    return new Bad(u.reason(), false);
                }
                case PidfileProbe.Regular r -> {
                    var hint = r.content().pid();
                    if (r.lock().locked()) {
                        List<Integer> holders = r.lock().holders().stream()
                                .filter(pid -> !Pidfile.isTransient(pid, r.file())).toList();
                        if (holders.isEmpty() && !r.lock().holders().isEmpty()) {
                            if (attempt < 100) {
                                Pidfile.sleep(20); // a start before its spawn, or a stop removing the file: wait it out
                                continue;
                            }
                            holders = Pidfile.stillTransient(r.lock().holders(), r.file());
                        }
                        if (!holders.isEmpty()) {
                            int daemon = hint.isPresent() && holders.contains(hint.getAsInt()) ? hint.getAsInt()
                                    : Pidfile.oldest(holders);
                            return new Locked(r, daemon, holders, expected.mismatch(daemon));
                        }
                        if (!r.lock().verifiable()) {
                            return new LockedUnverified(r, visibleGuess(hint, r.lock().lockerPid()));
                        }
                        if (attempt < 5) {
                            Pidfile.sleep(20); // its holder is exiting right now: look again
                            continue;
                        }
                        return new Bad(pidfile + " is locked, but no process holding the lock could be found", false);
                    }
                    var recorded = ForkingRecord.livePid(pidfile);
                    if (recorded.isPresent()) {
                        return new Recorded(pidfile, Optional.of(r), recorded.getAsInt(), expected.mismatch(recorded.getAsInt()));
                    }
                    if (r.content().isEmpty()) {
                        return new Empty(r);
                    }
                    if (hint.isEmpty()) {
                        return new Bad(pidfile + " holds '" + r.content().text() + "', not a pid", true);
                    }
                    int pid = hint.getAsInt();
                    if (!ProcessTable.isLive(pid)) {
                        return new Stale(r, pid);
                    }
                    return new Foreign(r, pid, expected.isStated(), expected.mismatch(pid));
                }
            }
        }
    }
}
