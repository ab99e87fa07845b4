package dev.daemonkit.supervise;

/** When a program that exited after it was RUNNING is started again (supervisord's autorestart). */
public enum RestartPolicy {
    /** Always restart. */
    ALWAYS,
    /** Restart only when the exit was unexpected: a code not in the program's exit codes, or a signal. */
    ON_FAILURE,
    /** Never restart; the program stays EXITED. */
    NEVER;

    /** Parses always, on-failure (or unexpected, supervisord's word), never (or false). */
    public static RestartPolicy parse(String s) {
        return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "always", "true" -> ALWAYS;
            case "on-failure", "unexpected" -> ON_FAILURE;
            case "never", "false" -> NEVER;
            default -> throw new IllegalArgumentException("restart policy must be always, on-failure or never: " + s);
        };
    }
}
