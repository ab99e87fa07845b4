package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;

/** {@code <sys/wait.h>}: waitpid and waitid, retried on EINTR (the JVM's handlers interrupt them). */
public final class Wait {
    private Wait() {
    }

    /** {@code pid_t waitpid(pid_t pid, int *status, int options)} */
    private static final class waitpid {
        static final MemorySegment F = Native.symbol("waitpid");
    }

    /** {@code int waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)} */
    private static final class waitid {
        static final MemorySegment F = Native.symbol("waitid");
    }

    /** waitpid's status word, one per thread: reaping thousands of children a second allocates nothing. */
    private static final ThreadLocal<MemorySegment> STATUS = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(JAVA_INT));

    /** waitpid(2). Returns {pid, raw status} packed in a long; pid 0 means WNOHANG found nothing. */
    public static long waitpid(int pid, int options) throws PosixException {
        MemorySegment c = Native.capture();
        MemorySegment status = STATUS.get();
        try {
            while (true) {
                int r = (int) Native.call(waitpid.F, c, pid, Native.address(status), options);
                if (r != -1) {
                    return ((long) r << 32) | (status.get(JAVA_INT, 0) & 0xffffffffL);
                }
                if (!Native.interrupted(c)) {
                    throw Native.error("waitpid(" + pid + ")", Native.errno(c));
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * waitid(2) filling {@code siginfo} (at least {@link Abi#SIGINFO_SIZE} bytes, zeroed by the
     * caller so that a WNOHANG miss reads as si_pid 0).
     */
    public static void waitid(int idtype, int id, MemorySegment siginfo, int options) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            while (true) {
                if ((int) Native.call(waitid.F, c, idtype, id, Native.address(siginfo), options) != -1) {
                    return;
                }
                if (!Native.interrupted(c)) {
                    throw Native.error("waitid(" + idtype + ", " + id + ")", Native.errno(c));
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(siginfo);
        }
    }
}
