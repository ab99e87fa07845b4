package dev.daemonkit.posix;

import dev.daemonkit.internal.libc.CString;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A NULL-terminated array of C strings ({@code char *const argv[]}, {@code envp}) in native
 * memory: built once, it can be passed to any number of spawns (the inherited environment is).
 */
public final class CStringArray {
    private final MemorySegment array;
    private final int size;

    private CStringArray(MemorySegment array, int size) {
        this.array = array;
        this.size = size;
    }

    /**
     * Copies {@code strings} (UTF-8, none containing NUL) into {@code arena}; bytes that are not
     * UTF-8, carried as {@link ByteStrings} escapes, are passed as the bytes they stand for.
     *
     * @throws IllegalArgumentException for a string containing a NUL byte
     */
    public static CStringArray of(Arena arena, List<String> strings) {
        MemorySegment array = arena.allocate(ADDRESS, strings.size() + 1L);
        for (int i = 0; i < strings.size(); i++) {
            setPointer(array, i, CString.of(arena, strings.get(i)));
        }
        setPointer(array, strings.size(), MemorySegment.NULL);
        return new CStringArray(array, strings.size());
    }

    /**
     * Element {@code i} of a pointer array, written as the 64-bit address it is on the supported
     * (LP64) ABIs: ADDRESS's own var handle converts through MemorySegment and spins method-handle
     * classes on its first use, ~2 ms of a launcher's single spawn; JAVA_LONG's is linked already.
     */
    private static void setPointer(MemorySegment array, long i, MemorySegment target) {
        array.setAtIndex(JAVA_LONG, i, target.address());
    }

    /** Copies raw byte strings (from /proc/PID/cmdline or environ, which need not be UTF-8) into {@code arena}. */
    public static CStringArray ofBytes(Arena arena, List<byte[]> strings) {
        MemorySegment array = arena.allocate(ADDRESS, strings.size() + 1L);
        for (int i = 0; i < strings.size(); i++) {
            setPointer(array, i, CString.ofBytes(arena, strings.get(i)));
        }
        setPointer(array, strings.size(), MemorySegment.NULL);
        return new CStringArray(array, strings.size());
    }

    /** How many strings (the NULL not counted). */
    public int size() {
        return size;
    }

    MemorySegment segment() {
        return array;
    }
}
