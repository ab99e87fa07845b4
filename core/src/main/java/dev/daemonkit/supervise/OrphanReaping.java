package dev.daemonkit.supervise;

import dev.daemonkit.posix.Posix;
import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.ProcessControl;
import dev.daemonkit.posix.WaitStatus;
import dev.daemonkit.process.Descendants;
import dev.daemonkit.process.Reaper;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The supervisor's reaper role. As a child subreaper, or as PID 1 (which inherits every orphan
 * whether it asked to or not), every child is ours to reap — the programs' orphans included — and
 * the orphans still running at the end are ours to end. Otherwise the programs are reaped by the
 * shared reaper and orphans are none of our business.
 */
final class OrphanReaping implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
    /** How long orphans still running when the supervisor closes get between SIGTERM and SIGKILL. */
    static final Duration ORPHAN_GRACE = Duration.ofSeconds(5);

    private final boolean subreaper;
    private final boolean reapsAll;
    private final Reaper reaper;

    /**
     * @param subreaper become a child subreaper now (and stop being one on {@link #close()})
     * @param orphanReaped told of each orphan reaped, on the reaper's thread
     */
    OrphanReaping(boolean subreaper, Consumer<WaitStatus> orphanReaped) throws PosixException {
        if (subreaper) {
            ProcessControl.setChildSubreaper(true);
        }
        this.subreaper = subreaper;
        this.reapsAll = subreaper || Posix.getpid() == 1;
        this.reaper = reapsAll ? Reaper.ownAllChildren(orphanReaped) : Reaper.shared();
    }

    /** The reaper the programs are spawned with. */
    Reaper reaper() {
        return reaper;
    }

    /** Ends the orphans still running (SIGTERM, SIGKILL after {@link #ORPHAN_GRACE}), then gives up the subreaper role. */
    @Override
    public void close() {
        if (reapsAll) {
            int n = Descendants.terminateAll(ORPHAN_GRACE);
            if (n > 0) {
                LOG.info("terminated {} orphan(s) still running", n);
            }
        }
        if (subreaper) {
            try {
                ProcessControl.setChildSubreaper(false);
            } catch (PosixException e) {
                LOG.debug("subreaper off: {}", e.getMessage());
            }
        }
    }
}
