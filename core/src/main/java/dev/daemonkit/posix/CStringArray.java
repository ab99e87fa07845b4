package dev.daemonkit.posix;

import static java.lang.foreign.ValueLayout.ADDRESS;

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
     * Copies {@code strings} (UTF-8, none containing NUL) into {@code arena}.
     *
     * @throws IllegalArgumentException for a string containing a NUL byte
     */
    public static CStringArray of(Arena arena, List<String> strings) {
        MemorySegment array = arena.allocate(ADDRESS, strings.size() + 1L);
        for (int i = 0; i < strings.size(); i++) {
            String s = strings.get(i);
            if (s.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("a C string cannot contain a NUL byte: " + s.replace("\0", "\\0"));
            }
            array.setAtIndex(ADDRESS, i, arena.allocateFrom(s));
        }
        array.setAtIndex(ADDRESS, strings.size(), MemorySegment.NULL);
        return new CStringArray(array, strings.size());
    }

    /**
     * Copies raw byte strings (e.g. arguments read byte-exact from /proc/self/cmdline, which need
     * not be valid UTF-8) into {@code arena}, each NUL-terminated.
     *
     * @throws IllegalArgumentException for a string containing a NUL byte
     */
    public static CStringArray ofBytes(Arena arena, List<byte[]> strings) {
        MemorySegment array = arena.allocate(ADDRESS, strings.size() + 1L);
        for (int i = 0; i < strings.size(); i++) {
            byte[] s = strings.get(i);
            MemorySegment c = arena.allocate(s.length + 1L);
            for (int j = 0; j < s.length; j++) {
                if (s[j] == 0) {
                    throw new IllegalArgumentException("a C string cannot contain a NUL byte (argument " + i + ")");
                }
            }
            MemorySegment.copy(s, 0, c, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, s.length);
            c.set(java.lang.foreign.ValueLayout.JAVA_BYTE, s.length, (byte) 0);
            array.setAtIndex(ADDRESS, i, c);
        }
        array.setAtIndex(ADDRESS, strings.size(), MemorySegment.NULL);
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
