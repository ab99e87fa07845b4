package dev.daemonkit.supervise;

/** supervisord's process states, with the same meanings. */
public enum ProgramState {
    /** Not running, and not meant to be (initial, or stopped on request). */
    STOPPED,
    /** Started, but not yet alive for the program's start seconds. */
    STARTING,
    /** Alive for longer than its start seconds. */
    RUNNING,
    /** Died while STARTING; waiting before the next attempt. */
    BACKOFF,
    /** Asked to stop; waiting for it to exit (SIGKILL after the stop timeout). */
    STOPPING,
    /** Exited from RUNNING, and the restart policy says not to restart it. */
    EXITED,
    /** Could not be started: too many failed starts in a row. */
    FATAL;

    /** Whether nothing more happens in this state without a request. */
    public boolean isFinal() {
        return this == STOPPED || this == EXITED || this == FATAL;
    }
}
