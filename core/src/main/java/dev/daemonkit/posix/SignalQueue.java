package dev.daemonkit.posix;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.daemonkit.internal.libc.Abi;
import dev.daemonkit.internal.libc.Signals;
import dev.daemonkit.internal.libc.SignalFd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Collection;

/**
 * Signals taken from a signalfd(2) instead of a handler: the way to receive signals the JVM would
 * not let {@code sun.misc.Signal} catch. It works only for signals that are blocked in
 * <em>every</em> thread of the process (a signal some thread leaves unblocked is delivered to that
 * thread, to the JVM's handler or the default action), which a JVM can only arrange before it
 * starts: see {@code dev.daemonkit.process.RelayedSignals}.
 *
 * <pre>{@code
 * try (SignalQueue q = SignalQueue.open(Set.of(Signal.SIGUSR1))) {
 *     int signo = q.take(); // blocks
 * }
 * }</pre>
 */
public final class SignalQueue implements AutoCloseable {
    private final Fd fd;
    private final MemorySegment buffer = Arena.ofAuto().allocate(Abi.SIGNALFD_SIGINFO_SIZE, 8);

    private SignalQueue(Fd fd) {
        this.fd = fd;
    }

    /** A close-on-exec signalfd for {@code signals}. */
    public static SignalQueue open(Collection<Signal> signals) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            return new SignalQueue(Fd.adopt(SignalFd.signalfd(sigset(a, signals), Abi.SFD_CLOEXEC)));
        }
    }

    /** Blocks {@code signals} in the calling thread (pthread_sigmask SIG_BLOCK); threads it starts inherit that. */
    public static void blockInThisThread(Collection<Signal> signals) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            Signals.pthread_sigmask(Abi.SIG_BLOCK, sigset(a, signals), MemorySegment.NULL);
        }
    }

    private static MemorySegment sigset(Arena a, Collection<Signal> signals) {
        MemorySegment set = a.allocate(Abi.SIGSET_SIZE, 8);
        long bits = 0;
        for (Signal s : signals) {
            bits |= 1L << (s.number() - 1);
        }
        set.set(JAVA_LONG, 0, bits);
        return set;
    }

    /** One pending signal: its number and the pid that sent it (0 for the kernel). */
    public record Taken(int signo, int senderPid) {
    }

    /** Waits for the next signal and takes it off the queue. Retries when interrupted. */
    public Taken take() throws PosixException {
        while (true) {
            try {
                long n = PosixFiles.read(fd, buffer, Abi.SIGNALFD_SIGINFO_SIZE);
                if (n < Abi.SIGNALFD_SIGINFO_SIZE) {
                    throw new PosixException("read(signalfd)", Errno.EIO.number(), "short read of " + n + " bytes");
                }
                return new Taken(buffer.get(JAVA_INT, Abi.SSI_SIGNO_OFFSET), buffer.get(JAVA_INT, Abi.SSI_PID_OFFSET));
            } catch (PosixException e) {
                if (e.errno() != Errno.EINTR) {
                    throw e;
                }
            }
        }
    }

    /** The descriptor, e.g. to poll it together with others. */
    public Fd fd() {
        return fd;
    }

    @Override
    public void close() {
        fd.close();
    }
}
