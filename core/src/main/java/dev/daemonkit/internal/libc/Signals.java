package dev.daemonkit.internal.libc;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.Signal;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** {@code <signal.h>}: kill, sigaction, pthread_sigmask. */
public final class Signals {
    private Signals() {
    }

    private static final class kill {
        static final MethodHandle H = Native.errnoSetting("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class sigaction {
        static final MethodHandle H = Native.errnoSetting("sigaction", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    }

    private static final class pthread_sigmask {
        static final MethodHandle H = Native.plain("pthread_sigmask", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    }

    static String name(int sig) {
        return sig == 0 ? "0" : Signal.nameOf(sig);
    }

    public static void kill(int pid, int sig) throws PosixException {
        MemorySegment c = Native.capture();
        try {
            if ((int) kill.H.invokeExact(c, pid, sig) == -1) {
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
            if ((int) sigaction.H.invokeExact(c, sig, act, oldact) == -1) {
                throw Native.error("sigaction(" + name(sig) + ")", Native.errno(c));
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** pthread_sigmask(3); returns the error number itself, not errno. */
    public static void pthread_sigmask(int how, MemorySegment set, MemorySegment oldset) throws PosixException {
        try {
            Native.checkCode((int) pthread_sigmask.H.invokeExact(how, set, oldset), "pthread_sigmask(" + how + ")");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
