package dev.daemonkit.testkit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What a test started and must end even when it fails: daemons behind pidfiles (stopped through
 * the CLI, which also removes the pidfile) and pids (SIGKILLed and waited for). Register it with
 * {@code @RegisterExtension final Leftovers leftovers = new Leftovers();} and record each pidfile
 * and pid as soon as it exists; JUnit runs the clean-up after each test, before a {@code @TempDir}
 * that holds the pidfiles is deleted.
 */
public final class Leftovers implements AfterEachCallback {
    private final List<Path> pidfiles = new ArrayList<>();
    private final List<Long> pids = new ArrayList<>();

    /** The daemon behind this pidfile is stopped after the test. */
    public void stop(Path pidfile) {
        pidfiles.add(pidfile);
    }

    /** This pid is SIGKILLed and waited for after the test. */
    public void kill(long pid) {
        pids.add(pid);
    }

    public void killAll(Collection<Long> more) {
        pids.addAll(more);
    }

    /**
     * Starts a {@code sleep 300} of the test's own — a live process daemonkit did not start, for
     * pidfiles that lie — and records it for killing; returns its pid.
     */
    public long sleeper() throws java.io.IOException {
        Process p = new ProcessBuilder("sleep", "300").start();
        kill(p.pid());
        return p.pid();
    }

    /** The pids recorded so far. */
    public List<Long> pids() {
        return List.copyOf(pids);
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        Processes.stopAll(pidfiles, pids);
    }
}
