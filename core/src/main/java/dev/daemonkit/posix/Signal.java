package dev.daemonkit.posix;

import java.util.Locale;
import java.util.Optional;

/**
 * The standard Linux signals, with their numbers on the supported targets (x86_64 and aarch64 share
 * them). Realtime signals have no constant; code that must handle them uses the raw number.
 */
public enum Signal {
    SIGHUP(1), SIGINT(2), SIGQUIT(3), SIGILL(4), SIGTRAP(5), SIGABRT(6), SIGBUS(7), SIGFPE(8),
    SIGKILL(9), SIGUSR1(10), SIGSEGV(11), SIGUSR2(12), SIGPIPE(13), SIGALRM(14), SIGTERM(15),
    SIGSTKFLT(16), SIGCHLD(17), SIGCONT(18), SIGSTOP(19), SIGTSTP(20), SIGTTIN(21), SIGTTOU(22),
    SIGURG(23), SIGXCPU(24), SIGXFSZ(25), SIGVTALRM(26), SIGPROF(27), SIGWINCH(28), SIGIO(29),
    SIGPWR(30), SIGSYS(31);

    /** Highest signal number the kernel accepts (realtime signals included). */
    public static final int MAX_NUMBER = 64;

    private static final Signal[] BY_NUMBER = new Signal[32];

    static {
        for (Signal s : values()) {
            BY_NUMBER[s.number] = s;
        }
    }

    private final int number;

    Signal(int number) {
        this.number = number;
    }

    /** The signal number passed to kill(2). */
    public int number() {
        return number;
    }

    /** The name without the SIG prefix, e.g. {@code TERM}, as kill(1) prints it. */
    public String shortName() {
        return name().substring(3);
    }

    /** The constant for a number, if it is a standard signal. */
    public static Optional<Signal> of(int number) {
        return number > 0 && number < BY_NUMBER.length ? Optional.ofNullable(BY_NUMBER[number]) : Optional.empty();
    }

    /** The conventional name of a signal number: {@code SIGTERM}, or {@code SIG42} for a realtime one. */
    public static String nameOf(int number) {
        return of(number).map(Enum::name).orElse("SIG" + number);
    }

    /**
     * Parses a signal as users write it: {@code TERM}, {@code SIGTERM}, {@code sigterm} or {@code 15}.
     *
     * @throws IllegalArgumentException naming the text when it is no standard signal
     */
    public static Signal parse(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        if (!t.isEmpty() && t.chars().allMatch(Character::isDigit)) {
            int n;
            try {
                n = Integer.parseInt(t);
            } catch (NumberFormatException e) {
                n = -1;
            }
            return of(n).orElseThrow(() -> new IllegalArgumentException("unknown signal number: " + text));
        }
        String name = t.startsWith("SIG") ? t : "SIG" + t;
        try {
            return valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown signal: " + text + " (use TERM, SIGTERM or a number)");
        }
    }
}
