package dev.daemonkit.posix;

import dev.daemonkit.internal.libc.CString;
import dev.daemonkit.internal.libc.Exec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * execve(2): replaces this process's program, keeping its pid (so PID 1 stays PID 1), its signal
 * mask, its ignored signals and every descriptor without close-on-exec. Every other thread of a
 * JVM ends with the call; no shutdown hook runs.
 */
public final class ProcessImage {
    private ProcessImage() {
    }

    /**
     * Replaces this process with {@code path} run with {@code argv} (argv[0] included) and
     * {@code environment} ("NAME=value" entries), all as raw bytes (arguments need not be UTF-8);
     * returns only by throwing.
     */
    public static void replace(String path, List<byte[]> argv, List<byte[]> environment) throws PosixException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = CString.of(a, path);
            Exec.execve(p, CStringArray.ofBytes(a, argv).segment(), CStringArray.ofBytes(a, environment).segment(), path);
        }
    }
}
