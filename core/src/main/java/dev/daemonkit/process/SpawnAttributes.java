package dev.daemonkit.process;

import dev.daemonkit.posix.PosixException;
import dev.daemonkit.posix.SpawnAttr;
import java.lang.foreign.Arena;
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

    /** Every signal but SIGKILL(9), SIGSTOP(19) and glibc's internal 32/33: bit (n - 1) for signal n. */
    private static final long ALL_RESETTABLE = ~0L & ~(1L << 8) & ~(1L << 18) & ~(1L << 31) & ~(1L << 32);

    /** What an attribute object encodes. */
    record Settings(boolean resetSignals, long keepIgnoredMask, boolean resetIds, boolean newSession,
            boolean newProcessGroup) {
        // Written out: a record's own equals and hashCode are bootstrapped through
        // ObjectMethods on first use, which spins eight method-handle classes (~4 ms of a
        // launcher's one spawn, interpreted; the AOT cache cannot keep them).
        @Override
        public boolean equals(Object o) {
            return o instanceof Settings s && s.resetSignals == resetSignals && s.keepIgnoredMask == keepIgnoredMask
                    && s.resetIds == resetIds && s.newSession == newSession && s.newProcessGroup == newProcessGroup;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(keepIgnoredMask) * 31 + (resetSignals ? 1 : 0) + (resetIds ? 2 : 0)
                    + (newSession ? 4 : 0) + (newProcessGroup ? 8 : 0);
        }
    }

    private static final Map<Settings, SpawnAttr> CACHE = new ConcurrentHashMap<>();

    /**
     * The attribute object for these settings: cached (never destroyed; glibc's destroy frees
     * nothing), or, with the cache full, built in {@code arena}: call {@link #release} after the spawn.
     */
    static SpawnAttr of(Settings s, Arena arena) throws PosixException {
        SpawnAttr cached = CACHE.get(s);
        if (cached != null) {
            return cached;
        }
        if (CACHE.size() >= MAX_CACHED) {
            return build(s, arena);
        }
        SpawnAttr built = build(s, Arena.global());
        SpawnAttr raced = CACHE.putIfAbsent(s, built);
        return raced != null ? raced : built;
    }

    /** Destroys an attribute object that {@link #of} built for one call only. */
    static void release(Settings s, SpawnAttr attr) throws PosixException {
        if (CACHE.get(s) != attr) {
            attr.close();
        }
    }

    private static SpawnAttr build(Settings s, Arena arena) throws PosixException {
        SpawnAttr attr = new SpawnAttr(arena);
        short flags = 0;
        if (s.resetSignals()) {
            attr.setSigDefault(ALL_RESETTABLE & ~s.keepIgnoredMask()).setSigMask(0);
            flags |= SpawnAttr.SETSIGDEF | SpawnAttr.SETSIGMASK;
        }
        if (s.resetIds()) {
            flags |= SpawnAttr.RESETIDS;
        }
        if (s.newSession()) {
            flags |= SpawnAttr.SETSID;
        } else if (s.newProcessGroup()) {
            attr.setPgroup(0);
            flags |= SpawnAttr.SETPGROUP;
        }
        return attr.setFlags(flags);
    }
}
