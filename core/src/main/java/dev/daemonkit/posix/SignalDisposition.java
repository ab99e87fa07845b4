package dev.daemonkit.posix;

/**
 * A signal's disposition as sigaction(2) reports and sets it.
 *
 * <p>daemonkit only ever <em>installs</em> {@link Action#DEFAULT} and {@link Action#IGNORE}; a
 * {@link Action#HANDLER} value is what another party (usually the JVM) installed, and may be handed
 * back unchanged to restore it. No Java code is ever installed as a signal handler: an FFM upcall
 * is not async-signal-safe. For Java-level handling use the JDK (shutdown hooks, jdk.internal
 * Signal via {@code sun.misc.Signal}).
 *
 * @param action          default, ignore, or a handler function
 * @param handlerAddress  the handler's address for {@link Action#HANDLER}, else 0
 * @param flags           the SA_* flags ({@link #SA_NOCLDWAIT}, {@link #SA_RESTART}...)
 * @param mask            signals blocked during the handler, bit (n-1) for signal n
 */
public record SignalDisposition(Action action, long handlerAddress, int flags, long mask) {

    /** Do not transform children into zombies when they terminate (only meaningful for SIGCHLD). */
    public static final int SA_NOCLDSTOP = 1;
    /** Do not create zombies for terminated children (SIGCHLD only). */
    public static final int SA_NOCLDWAIT = 2;
    /** The handler takes three arguments (siginfo). */
    public static final int SA_SIGINFO = 4;
    /** Use the alternate signal stack. */
    public static final int SA_ONSTACK = 0x08000000;
    /** Restart interruptible system calls. */
    public static final int SA_RESTART = 0x10000000;
    /** Do not block the signal in its own handler. */
    public static final int SA_NODEFER = 0x40000000;
    /** Reset to default after one delivery. */
    public static final int SA_RESETHAND = 0x80000000;

    /** What happens on delivery. */
    public enum Action { DEFAULT, IGNORE, HANDLER }

    /** SIG_DFL with no flags. */
    public static final SignalDisposition DEFAULT = new SignalDisposition(Action.DEFAULT, 0, 0, 0);
    /** SIG_IGN with no flags. */
    public static final SignalDisposition IGNORE = new SignalDisposition(Action.IGNORE, 0, 0, 0);

    public SignalDisposition {
        if (action == null) {
            throw new IllegalArgumentException("action is required");
        }
        if ((action == Action.HANDLER) != (handlerAddress != 0)) {
            throw new IllegalArgumentException("a handler address goes with Action.HANDLER and only with it");
        }
    }

    /** The same disposition with other flags, e.g. {@code IGNORE.withFlags(SA_NOCLDWAIT)}. */
    public SignalDisposition withFlags(int newFlags) {
        return new SignalDisposition(action, handlerAddress, newFlags, mask);
    }

    /** Whether a flag is set. */
    public boolean has(int flag) {
        return (flags & flag) == flag;
    }
}
