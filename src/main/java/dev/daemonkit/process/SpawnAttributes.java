package dev.daemonkit.process;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.daemonkit.internal.libc.Abi;
import dev.daemonkit.internal.libc.Libc;
import dev.daemonkit.posix.PosixException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * posix_spawnattr_t objects, built once per distinct setting and shared: posix_spawn only reads
 * its attributes, so one object serves every spawn (and thread) with the same settings, and a
 * spawn makes no attribute calls at all. There are few distinct settings in practice (flags and
 * the signals kept ignored); past {@link #MAX_CACHED} of them, an attribute object is built per
 * call in the caller's arena instead.
 */
final class SpawnAttributes {
    private SpawnAttributes() {
    }

    static final int MAX_CACHED = 64;

    /** What an attribute object encodes. */
    record Settings(boolean resetSignals, long keepIgnoredMask, boolean resetIds, boolean newSession,
            boolean newProcessGroup) {
    }

    private static final Map<Settings, MemorySegment> CACHE = new ConcurrentHashMap<>();

    /**
     * The attribute object for these settings: cached (never destroyed; glibc's destroy frees
     * nothing), or, with the cache full, built in {@code arena}: call {@link #release} after the spawn.
     */
    static MemorySegment of(Settings s, Arena arena) throws PosixException {
        MemorySegment cached = CACHE.get(s);
        if (cached != null) {
            return cached;
        }
        if (CACHE.size() >= MAX_CACHED) {
            return build(s, arena);
        }
        MemorySegment built = build(s, Arena.global());
        MemorySegment raced = CACHE.putIfAbsent(s, built);
        return raced != null ? raced : built;
    }

    /** Destroys an attribute object that {@link #of} built for one call only. */
    static void release(Settings s, MemorySegment attr) throws PosixException {
        if (CACHE.get(s) != attr) {
            Libc.posix_spawnattr_destroy(attr);
        }
    }

    private static MemorySegment build(Settings s, Arena arena) throws PosixException {
        MemorySegment attr = arena.allocate(Abi.POSIX_SPAWNATTR_SIZE, 8);
        Libc.posix_spawnattr_init(attr);
        short flags = 0;
        if (s.resetSignals()) {
            MemorySegment all = arena.allocate(Abi.SIGSET_SIZE, 8);
            // Every signal but SIGKILL(9), SIGSTOP(19) and glibc's internal 32/33.
            long bits = ~0L & ~(1L << 8) & ~(1L << 18) & ~(1L << 31) & ~(1L << 32) & ~s.keepIgnoredMask();
            all.set(JAVA_LONG, 0, bits);
            Libc.posix_spawnattr_setsigdefault(attr, all);
            Libc.posix_spawnattr_setsigmask(attr, arena.allocate(Abi.SIGSET_SIZE, 8));
            flags |= Abi.POSIX_SPAWN_SETSIGDEF | Abi.POSIX_SPAWN_SETSIGMASK;
        }
        if (s.resetIds()) {
            flags |= Abi.POSIX_SPAWN_RESETIDS;
        }
        if (s.newSession()) {
            flags |= Abi.POSIX_SPAWN_SETSID;
        } else if (s.newProcessGroup()) {
            Libc.posix_spawnattr_setpgroup(attr, 0);
            flags |= Abi.POSIX_SPAWN_SETPGROUP;
        }
        Libc.posix_spawnattr_setflags(attr, flags);
        return attr;
    }
}
