package dev.daemonkit.posix;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.daemonkit.internal.libc.Abi;
import dev.daemonkit.internal.libc.SpawnCalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * posix_spawnattr_t, as nix's {@code PosixSpawnAttr}: the flags, signal defaults, signal mask
 * and process group posix_spawn applies to the child. It lives in native memory of the arena it
 * is made in; posix_spawn only reads it, so one object can serve many spawns from many threads.
 *
 * <pre>{@code
 * SpawnAttr attr = new SpawnAttr(arena)
 *         .setSigDefault(allSignals).setSigMask(0)
 *         .setFlags(SpawnAttr.SETSIGDEF | SpawnAttr.SETSIGMASK | SpawnAttr.SETSID);
 * }</pre>
 */
public final class SpawnAttr implements AutoCloseable {
    /** POSIX_SPAWN_RESETIDS: effective ids become the real ones. */
    public static final short RESETIDS = Abi.POSIX_SPAWN_RESETIDS;
    /** POSIX_SPAWN_SETPGROUP: the process group of {@link #setPgroup}. */
    public static final short SETPGROUP = Abi.POSIX_SPAWN_SETPGROUP;
    /** POSIX_SPAWN_SETSIGDEF: the signals of {@link #setSigDefault} get their default action. */
    public static final short SETSIGDEF = Abi.POSIX_SPAWN_SETSIGDEF;
    /** POSIX_SPAWN_SETSIGMASK: the mask of {@link #setSigMask}. */
    public static final short SETSIGMASK = Abi.POSIX_SPAWN_SETSIGMASK;
    /** POSIX_SPAWN_SETSID: a new session. */
    public static final short SETSID = Abi.POSIX_SPAWN_SETSID;

    private final MemorySegment attr;
    private boolean destroyed;

    /** posix_spawnattr_init in {@code arena}. */
    public SpawnAttr(Arena arena) throws PosixException {
        attr = arena.allocate(Abi.POSIX_SPAWNATTR_SIZE, 8);
        SpawnCalls.posix_spawnattr_init(attr);
    }

    /** posix_spawnattr_setflags: an OR of the constants above. */
    public SpawnAttr setFlags(short flags) throws PosixException {
        SpawnCalls.posix_spawnattr_setflags(attr, flags);
        return this;
    }

    /** posix_spawnattr_setsigdefault: bit (n - 1) for signal n, the standard signals 1-64. */
    public SpawnAttr setSigDefault(long signalBits) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            SpawnCalls.posix_spawnattr_setsigdefault(attr, sigset(a, signalBits));
        }
        return this;
    }

    /** posix_spawnattr_setsigmask: the child's blocked signals, bit (n - 1) for signal n. */
    public SpawnAttr setSigMask(long signalBits) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            SpawnCalls.posix_spawnattr_setsigmask(attr, sigset(a, signalBits));
        }
        return this;
    }

    /** posix_spawnattr_setpgroup: 0 makes the child lead a new group. */
    public SpawnAttr setPgroup(int pgroup) throws PosixException {
        SpawnCalls.posix_spawnattr_setpgroup(attr, pgroup);
        return this;
    }

    private static MemorySegment sigset(Arena a, long bits) {
        MemorySegment set = a.allocate(Abi.SIGSET_SIZE, 8);
        set.set(JAVA_LONG, 0, bits);
        return set;
    }

    MemorySegment segment() {
        return attr;
    }

    /** posix_spawnattr_destroy, once. */
    @Override
    public void close() throws PosixException {
        if (!destroyed) {
            destroyed = true;
            SpawnCalls.posix_spawnattr_destroy(attr);
        }
    }
}
