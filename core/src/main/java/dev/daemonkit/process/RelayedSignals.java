package dev.daemonkit.process;

import dev.daemonkit.posix.ByteStrings;
import dev.daemonkit.posix.ProcessImage;
import dev.daemonkit.posix.Signal;
import dev.daemonkit.posix.SignalQueue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which signals a JVM can receive and relay to a child the way tini and dumb-init do: every
 * catchable signal 1-31 except SIGCHLD — if, and only if, the JVM was started for it.
 *
 * <p>HotSpot keeps SIGSEGV, SIGBUS, SIGFPE and SIGILL unblocked in every thread with its own
 * handler (implicit null checks, safepoint polls, stack banging): sent from outside they crash the
 * JVM with an error report ("sent by kill"), so they are never relayed ({@link #JVM_OWNED}).
 * Everything else can be taken from a signalfd ({@link SignalQueue}) provided it is blocked in
 * every thread from the start. That takes three things before the JVM starts, which
 * {@code ./daemonkit init} arranges (GNU env --block-signal) and {@link #reexecIfNeeded} arranges
 * otherwise, by execve of the same java command line (the pid stays, PID 1 stays PID 1):
 * <ul>
 * <li>the signals blocked in the first thread, which every JVM thread inherits;</li>
 * <li>{@code -Xrs}: otherwise HotSpot unblocks SIGHUP, SIGINT and SIGTERM (shutdown hooks) in every
 *     thread and SIGQUIT (thread dumps) in its VM thread;</li>
 * <li>{@code _JAVA_SR_SIGNUM} set to a realtime signal ({@link #SUSPEND_RESUME_SIGNAL}): otherwise
 *     HotSpot uses SIGUSR2 to suspend threads and silently swallows one sent from outside.</li>
 * </ul>
 */
public final class RelayedSignals {
    private static final Logger LOG = LoggerFactory.getLogger(RelayedSignals.class);

    /** Signals HotSpot handles itself in every thread; sent from outside, they crash the JVM. */
    public static final Set<Signal> JVM_OWNED = EnumSet.of(Signal.SIGSEGV, Signal.SIGBUS, Signal.SIGFPE, Signal.SIGILL);
    /** The signal number given to HotSpot for thread suspension instead of SIGUSR2 (SIGRTMAX - 1). */
    public static final int SUSPEND_RESUME_SIGNAL = 63;
    /** Set in the environment of a JVM that {@link #reexecIfNeeded} started (guards against a loop). */
    public static final String REEXEC_MARKER = "DAEMONKIT_INIT_REEXEC";
    /** Set beside {@code _JAVA_SR_SIGNUM} when daemonkit set it: the child must not inherit it. */
    public static final String SR_MARKER = "DAEMONKIT_INIT_SR";

    private RelayedSignals() {
    }

    /** Signals 1-31 a relay should take: all but SIGKILL, SIGSTOP, SIGCHLD and {@link #JVM_OWNED}. */
    public static Set<Signal> wanted() {
        Set<Signal> s = EnumSet.allOf(Signal.class);
        s.removeAll(JVM_OWNED);
        s.removeAll(List.of(Signal.SIGKILL, Signal.SIGSTOP, Signal.SIGCHLD));
        return s;
    }

    /** The signals blocked in every thread of this process right now (/proc/self/task/TID/status SigBlk). */
    public static Set<Signal> blockedInEveryThread() {
        long all = -1L;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : tasks) {
                try {
                    for (String line : Files.readAllLines(t.resolve("status"), StandardCharsets.ISO_8859_1)) {
                        if (line.startsWith("SigBlk:")) {
                            all &= Long.parseUnsignedLong(line.substring(7).trim(), 16);
                        }
                    }
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            return EnumSet.noneOf(Signal.class);
        }
        Set<Signal> s = EnumSet.noneOf(Signal.class);
        for (Signal sig : Signal.values()) {
            if ((all & (1L << (sig.number() - 1))) != 0) {
                s.add(sig);
            }
        }
        return s;
    }

    /** The {@link #wanted()} signals this JVM can relay now: those blocked in every thread. */
    public static Set<Signal> available() {
        Set<Signal> s = wanted();
        s.retainAll(blockedInEveryThread());
        return s;
    }

    /**
     * Makes this JVM able to relay every {@link #wanted()} signal: if some are not blocked in every
     * thread, replaces the process (execve, same pid) with the same java command line plus
     * {@code -Xrs}, the signals blocked and {@code _JAVA_SR_SIGNUM} set; the new JVM runs
     * {@code main} again from the start. Does nothing if all are available already, or if this
     * JVM is such a re-executed one (then {@link #available()} says what can be relayed).
     *
     * @return the signals that cannot be relayed (empty when all can); never returns after a re-exec
     */
    public static Set<Signal> reexecIfNeeded() {
        Set<Signal> missing = wanted();
        missing.removeAll(blockedInEveryThread());
        if (missing.isEmpty() || System.getenv(REEXEC_MARKER) != null) {
            return missing;
        }
        try {
            // Raw bytes from /proc: arguments and variables need not be UTF-8.
            List<byte[]> argv = ByteStrings.cmdline(Path.of("/proc/self/cmdline"));
            String exe = Files.readSymbolicLink(Path.of("/proc/self/exe")).toString();
            argv.add(1, bytes("-Xrs"));
            List<byte[]> env = ByteStrings.cmdline(Path.of("/proc/self/environ"));
            env.add(bytes(REEXEC_MARKER + "=1"));
            if (System.getenv("_JAVA_SR_SIGNUM") == null) {
                env.add(bytes("_JAVA_SR_SIGNUM=" + SUSPEND_RESUME_SIGNAL));
                env.add(bytes(SR_MARKER + "=" + SUSPEND_RESUME_SIGNAL));
            }
            LOG.debug("{} not blocked in every thread: starting again with them blocked", missing);
            SignalQueue.blockInThisThread(wanted());
            ProcessImage.replace(exe, argv, env);
        } catch (IOException e) {
            LOG.warn("cannot start the JVM again to relay {}: {}", missing, e.getMessage());
        }
        return missing;
    }

    /**
     * The environment a relaying JVM's child should get: this one without the variables
     * {@link #reexecIfNeeded} or {@code ./daemonkit} added for the JVM.
     */
    public static Map<String, String> childEnvironment() {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.remove(REEXEC_MARKER);
        String sr = env.remove(SR_MARKER);
        if (sr != null && sr.equals(env.get("_JAVA_SR_SIGNUM"))) {
            env.remove("_JAVA_SR_SIGNUM");
        }
        return env;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
