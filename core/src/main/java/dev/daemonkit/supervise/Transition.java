package dev.daemonkit.supervise;

import org.slf4j.event.Level;

/**
 * Why a program changes state: each transition names the state it leads to and how loudly it is
 * logged, so the level never depends on the wording of the reason.
 */
enum Transition {
    /** Spawned; it must now stay up for its start seconds. */
    SPAWNED(ProgramState.STARTING, Level.INFO),
    /** Up for its start seconds, spawned with none, or tracked through its pidfile. */
    STARTED(ProgramState.RUNNING, Level.INFO),
    /** Died (or could not be spawned) while STARTING: wait, then try again. */
    START_FAILED(ProgramState.BACKOFF, Level.WARN),
    /** Started fine, but keeps dying within a second of it: wait before the next restart. */
    CRASH_LOOP(ProgramState.BACKOFF, Level.WARN),
    /** Failed its start retries in a row. */
    GAVE_UP(ProgramState.FATAL, Level.ERROR),
    /** Exited from RUNNING with one of its exit codes. */
    EXITED_EXPECTEDLY(ProgramState.EXITED, Level.INFO),
    /** Exited from RUNNING with another code, by a signal, or with a status nobody could see. */
    EXITED_UNEXPECTEDLY(ProgramState.EXITED, Level.WARN),
    /** Asked to stop: its stop signal is sent (or will be, once its pidfile names it). */
    STOP_REQUESTED(ProgramState.STOPPING, Level.INFO),
    /** Gone after a stop request, or stopped while it was waiting to be started again. */
    STOPPED(ProgramState.STOPPED, Level.INFO);

    final ProgramState target;
    final Level level;

    Transition(ProgramState target, Level level) {
        this.target = target;
        this.level = level;
    }
}
