package dev.daemonkit.posix;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.daemonkit.internal.libc.Abi;
import dev.daemonkit.internal.libc.Sys;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * prctl(2) and resource limits: what a process sets about itself — child subreaper, parent-death
 * signal, thread name, RLIMIT_CORE/NPROC/NOFILE.
 */
public final class ProcessControl {
    private ProcessControl() {
    }

    /** The resources of getrlimit/setrlimit that daemons care about. */
    public enum Resource {
        /** Largest core file (RLIMIT_CORE); 0 prevents core dumps. */
        CORE(Abi.RLIMIT_CORE),
        /** Processes (threads) per real user id (RLIMIT_NPROC). */
        NPROC(Abi.RLIMIT_NPROC),
        /** Open file descriptors (RLIMIT_NOFILE). */
        NOFILE(Abi.RLIMIT_NOFILE);

        final int number;

        Resource(int number) {
            this.number = number;
        }
    }

    /** A resource limit; {@link #INFINITY} for none. */
    public record RLimit(long soft, long hard) {
        /** RLIM_INFINITY. */
        public static final long INFINITY = -1L;

        /** The soft limit as text, "unlimited" for RLIM_INFINITY. */
        public String softText() {
            return soft == INFINITY ? "unlimited" : Long.toString(soft);
        }
    }

    // ------------------------------------------------------------ prctl

    /** PR_SET_CHILD_SUBREAPER: orphaned descendants are re-parented to this process instead of init. */
    public static void setChildSubreaper(boolean on) throws PosixException {
        Sys.prctl(Abi.PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0);
    }

    /** PR_GET_CHILD_SUBREAPER. */
    public static boolean isChildSubreaper() throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            Sys.prctl(Abi.PR_GET_CHILD_SUBREAPER, out.address(), 0, 0, 0);
            return out.get(JAVA_INT, 0) != 0;
        }
    }

    /**
     * PR_SET_PDEATHSIG for the calling <em>thread's</em> children: note that Linux sends it when the
     * thread that created the child exits, not only when the process does.
     */
    public static void setParentDeathSignal(Signal signal) throws PosixException {
        Sys.prctl(Abi.PR_SET_PDEATHSIG, signal == null ? 0 : signal.number(), 0, 0, 0);
    }

    /** PR_GET_PDEATHSIG; empty when none is set. */
    public static Optional<Signal> parentDeathSignal() throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            Sys.prctl(Abi.PR_GET_PDEATHSIG, out.address(), 0, 0, 0);
            return Signal.of(out.get(JAVA_INT, 0));
        }
    }

    /** PR_SET_NAME: the calling thread's name as ps and /proc/PID/comm show it (15 bytes at most). */
    public static void setThreadName(String name) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            byte[] b = name.getBytes(StandardCharsets.UTF_8);
            MemorySegment s = a.allocate(16);
            MemorySegment.copy(b, 0, s, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, Math.min(15, b.length));
            Sys.prctl(Abi.PR_SET_NAME, s.address(), 0, 0, 0);
        }
    }

    /** PR_GET_NAME. */
    public static String threadName() throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(16);
            Sys.prctl(Abi.PR_GET_NAME, s.address(), 0, 0, 0);
            return s.getString(0);
        }
    }

    // ------------------------------------------------------------ limits

    public static RLimit getrlimit(Resource resource) throws PosixException {
        long[] v = Sys.getrlimit(resource.number);
        return new RLimit(v[0], v[1]);
    }

    public static void setrlimit(Resource resource, RLimit limit) throws PosixException {
        Sys.setrlimit(resource.number, limit.soft(), limit.hard());
    }

}
