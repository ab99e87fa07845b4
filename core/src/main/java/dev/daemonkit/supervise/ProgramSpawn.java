package dev.daemonkit.supervise;

import dev.daemonkit.process.Reaper;
import dev.daemonkit.process.Redirect;
import dev.daemonkit.process.Spawn;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** How one run of a supervised program is spawned, and how long to wait between failed starts. */
final class ProgramSpawn {
    private ProgramSpawn() {
    }

    /**
     * The spawn of one run: the spec's command, environment, directory, process group and
     * parent-death signal; stdin from /dev/null (or prefork's listening socket as fd 0); stdout
     * and stderr into pipes for the rotating logs, else inherited (stderr joined to stdout when
     * the spec redirects it); {@code SUPERVISOR_PROCESS_NAME} as supervisord sets it.
     */
    static Spawn of(ProgramSpec spec, String name, Reaper reaper, boolean logStdout, boolean logStderr) {
        Spawn s = Spawn.of(spec.command()).reaper(reaper);
        spec.environment().forEach(s::env);
        if (spec.directory() != null) {
            s.directory(spec.directory());
        }
        if (spec.signalGroup()) {
            s.newProcessGroup();
        }
        if (spec.parentDeathSignal() != null) {
            s.parentDeathSignal(spec.parentDeathSignal());
        }
        if (spec.listenFd() >= 0) {
            s.stdin(Redirect.fd(spec.listenFd())).env("DAEMONKIT_LISTEN_FD", "0");
        } else {
            s.stdin(Redirect.NULL);
        }
        s.stdout(logStdout ? Redirect.PIPE : Redirect.INHERIT);
        s.stderr(logStderr ? Redirect.PIPE : spec.redirectStderr() ? Redirect.fd(1) : Redirect.INHERIT);
        s.env("SUPERVISOR_PROCESS_NAME", name);
        return s;
    }

    /** 1 s, 2 s, 4 s... capped, with "equal jitter" (half fixed, half random) so restarts do not align. */
    static Duration backoff(int attempt, Duration max) {
        long capMs = max.toMillis();
        long ms = Math.min(capMs, 1000L << Math.min(20, attempt - 1));
        long jittered = ms / 2 + (ms > 1 ? ThreadLocalRandom.current().nextLong(ms / 2 + 1) : 0);
        return Duration.ofMillis(Math.max(1, jittered));
    }
}
