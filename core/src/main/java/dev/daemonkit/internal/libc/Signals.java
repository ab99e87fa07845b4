package dev.daemonkit.internal.libc;

import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;

/** {@code <signal.h>}: kill, sigaction, pthread_sigmask. */
public final class Signals {
    private Signals() {
    }

    /** {@code int kill(pid_t pid, int sig)} */
    private static final class kill {
        static final MemorySegment F = Native.symbol("kill");
    }

    /** {@code int sigaction(int sig, const struct sigaction *act, struct sigaction *oldact)} */
    private static final class sigaction {
        static final MemorySegment F = Native.symbol("sigaction");
    }

    /** {@code int pthread_sigmask(int how, const sigset_t *set, sigset_t *oldset)} */
    private static final class pthread_sigmask {
        static final MemorySegment F = Native.symbol("pthread_sigmask");
    }

    static String name(int sig) {
        return sig == 0 ? "0" : Signal.nameOf(sig);
    }

    public static void kill(int pid, int sig) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            if ((int) Native.call(kill.F, c, pid, sig) == -1) {
                throw Native.error("kill(" + pid + ", " + name(sig) + ")", Native.errno(c));
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** sigaction(2); {@code act} or {@code oldact} may be NULL. */
    public static void sigaction(int sig, MemorySegment act, MemorySegment oldact) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            if ((int) Native.call(sigaction.F, c, sig, Native.address(act), Native.address(oldact)) == -1) {
                throw Native.error("sigaction(" + name(sig) + ")", Native.errno(c));
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(act);
            Reference.reachabilityFence(oldact);
        }
    }

    /** pthread_sigmask(3); returns the error number itself, not errno. */
    public static void pthread_sigmask(int how, MemorySegment set, MemorySegment oldset) throws PosixException {
        try {
            Native.checkCode((int) Native.call(pthread_sigmask.F, Native.capture(), how, Native.address(set),
                    Native.address(oldset)), "pthread_sigmask(" + how + ")");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        } finally {
            Reference.reachabilityFence(set);
            Reference.reachabilityFence(oldset);
        }
    }
}
