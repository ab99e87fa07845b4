package dev.daemonkit.posix;

import java.util.Optional;

/**
 * What waitpid/waitid reported about a child, decoded. Use it with a switch:
 * <pre>{@code
 * switch (Posix.waitpid(pid, 0)) {
 *     case WaitStatus.Exited(int p, int code) -> log.info("{} exited {}", p, code);
 *     case WaitStatus.Signaled s -> log.warn("{} killed by {}", s.pid(), s.signalName());
 *     default -> { }
 * }
 * }</pre>
 */
public sealed interface WaitStatus {

    /** The child the status is about. */
    int pid();

    /**
     * What happened, in words, without the pid: "exited with status 3", "killed by SIGSEGV (core
     * dumped)", "stopped by SIGTSTP", "continued", "still alive".
     */
    default String outcome() {
        return switch (this) {
            case Exited e -> "exited with status " + e.code();
            case Signaled g -> "killed by " + g.signalName() + (g.coreDumped() ? " (core dumped)" : "");
            case Stopped t -> "stopped by " + Signal.nameOf(t.signo());
            case Continued c -> "continued";
            case StillAlive a -> "still alive";
        };
    }

    /** True for {@link Exited} and {@link Signaled}: the child is dead and has been reaped. */
    default boolean isTerminated() {
        return this instanceof Exited || this instanceof Signaled;
    }

    /**
     * The shell's view of the status: the exit code, or 128 + signal number for a killed child,
     * as {@code $?} shows it. Not meaningful for states that are not terminal.
     */
    default int shellExitCode() {
        return switch (this) {
            case Exited e -> e.code();
            case Signaled s -> 128 + s.signo();
            default -> -1;
        };
    }

    /** The child called exit/_exit or returned from main. */
    record Exited(int pid, int code) implements WaitStatus {
        @Override
        public String toString() {
            return "pid " + pid + " exited with code " + code;
        }
    }

    /**
     * The child was killed by a signal.
     *
     * @param signo      the signal number (realtime signals have no {@link Signal} constant)
     * @param coreDumped whether the kernel wrote a core dump
     */
    record Signaled(int pid, int signo, boolean coreDumped) implements WaitStatus {
        /** The signal as a constant, when it is a standard one. */
        public Optional<Signal> signal() {
            return Signal.of(signo);
        }

        /** e.g. {@code SIGKILL}. */
        public String signalName() {
            return Signal.nameOf(signo);
        }

        @Override
        public String toString() {
            return "pid " + pid + " killed by " + signalName() + (coreDumped ? " (core dumped)" : "");
        }
    }

    /** The child was stopped (WUNTRACED / WSTOPPED) by the given signal. */
    record Stopped(int pid, int signo) implements WaitStatus {
        @Override
        public String toString() {
            return "pid " + pid + " stopped by " + Signal.nameOf(signo);
        }
    }

    /** The child was resumed by SIGCONT (WCONTINUED). */
    record Continued(int pid) implements WaitStatus {
        @Override
        public String toString() {
            return "pid " + pid + " continued";
        }
    }

    /** A WNOHANG wait found the child still running. */
    record StillAlive(int pid) implements WaitStatus {
        @Override
        public String toString() {
            return "pid " + pid + " still alive";
        }
    }

    /**
     * Decodes the int that waitpid(2) stores, with the same rules as the W* macros of glibc.
     *
     * @param pid    the pid waitpid returned
     * @param status the raw status word
     */
    static WaitStatus decode(int pid, int status) {
        int low = status & 0x7f;
        if (low == 0) {
            return new Exited(pid, (status >> 8) & 0xff);
        }
        if (status == 0xffff) {
            return new Continued(pid);
        }
        if ((status & 0xff) == 0x7f) {
            return new Stopped(pid, (status >> 8) & 0xff);
        }
        return new Signaled(pid, low, (status & 0x80) != 0);
    }
}
