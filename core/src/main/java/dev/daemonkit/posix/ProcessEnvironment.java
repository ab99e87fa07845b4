package dev.daemonkit.posix;

import dev.daemonkit.internal.libc.Environ;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This process's environment as children get it. The JDK copies the environment once at start-up
 * ({@link System#getenv()} never changes), so removing a variable takes two steps: unsetenv(3) on
 * the C library's copy (for native code and anything that reads {@code environ}), and a record of
 * the removal that {@code Spawn} honours when a child inherits the environment. A child started
 * with {@link ProcessBuilder} still gets the JDK's copy.
 */
public final class ProcessEnvironment {
    private static final Set<String> REMOVED = ConcurrentHashMap.newKeySet();

    private ProcessEnvironment() {
    }

    /** Removes the variables (sd_listen_fds(unset_environment=1) does this with LISTEN_*). */
    public static void unset(String... names) throws PosixException {
        for (String n : names) {
            Environ.unsetenv(n);
            REMOVED.add(n);
        }
    }

    /** Whether anything was removed since start-up (else the JDK's copy is exact). */
    public static boolean changed() {
        return !REMOVED.isEmpty();
    }

    /** The environment a child inherits: the JDK's copy without the variables removed here. */
    public static Map<String, String> current() {
        Map<String, String> env = new TreeMap<>(System.getenv());
        env.keySet().removeAll(REMOVED);
        return env;
    }

    /** A variable, unless it was removed here. */
    public static String get(String name) {
        return REMOVED.contains(name) ? null : System.getenv(name);
    }
}
