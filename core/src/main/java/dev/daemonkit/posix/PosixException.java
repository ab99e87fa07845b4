package dev.daemonkit.posix;

import java.io.IOException;

/**
 * A failed libc call: carries the call that failed, the errno value with its symbolic name
 * (ENOENT, ESRCH, EAGAIN...) and the C library's message for it.
 *
 * <p>Example: {@code kill(4242, SIGTERM) failed: ESRCH (No such process)}.
 * It is an {@link IOException} because every one of these calls is I/O with the kernel; callers
 * that expect a particular error test {@link #errno()}:
 * <pre>{@code
 * try {
 *     Posix.kill(pid, Signal.SIGTERM);
 * } catch (PosixException e) {
 *     if (e.errno() != Errno.ESRCH) throw e;   // already gone is fine
 * }
 * }</pre>
 */
public class PosixException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errnoValue;

    /**
     * @param call       what failed, with its arguments where they help, e.g. {@code "kill(42, SIGTERM)"}
     * @param errnoValue the errno the call left
     * @param message    the C library's text for it (strerror)
     */
    public PosixException(String call, int errnoValue, String message) {
        super(call + " failed: " + Errno.nameOf(errnoValue) + " (" + message + ")");
        this.call = call;
        this.errnoValue = errnoValue;
    }

    /**
     * A failure explained in words for people ("./run.sh: is not executable (chmod +x?)"),
     * still carrying the call and errno for programs.
     */
    protected PosixException(String explanation, String call, int errnoValue) {
        super(explanation);
        this.call = call;
        this.errnoValue = errnoValue;
    }

    /** A failure reported without a system call failing (a check made first), with libc's text for it. */
    public static PosixException of(String call, Errno errno) {
        return new PosixException(call, errno.number(), Posix.strerror(errno.number()));
    }

    /** The call that failed, as given when the exception was made. */
    public String call() {
        return call;
    }

    /** The errno value as a constant, or {@code null} for a number Linux does not define. */
    public Errno errno() {
        return Errno.of(errnoValue);
    }

    /** The raw errno value. */
    public int errnoValue() {
        return errnoValue;
    }

    /** The symbolic name of the errno, e.g. {@code "ENOENT"}. */
    public String errnoName() {
        return Errno.nameOf(errnoValue);
    }
}
