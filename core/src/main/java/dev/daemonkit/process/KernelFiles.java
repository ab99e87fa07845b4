package dev.daemonkit.process;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.OptionalLong;

/**
 * Reading and writing the small text files of /proc, /proc/sys and cgroupfs — with java.io
 * streams, which an interrupt does not close: the clean-up of a pids sandbox must still work on
 * a thread that was interrupted (NIO channels would throw ClosedByInterruptException).
 */
final class KernelFiles {
    private KernelFiles() {
    }

    /**
     * The whole file as text. Not Files.readString: these files report size 0, and on /proc/sys
     * files it returned only the first byte here.
     */
    static String read(Path p) throws IOException {
        try (var in = new FileInputStream(p.toFile())) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    static List<String> lines(Path p) throws IOException {
        return read(p).lines().toList();
    }

    /** A number; empty for "max" (cgroup: no limit), a missing or unreadable file, or no number. */
    static OptionalLong readLong(Path p) {
        try {
            String s = read(p).trim();
            return s.equals("max") ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(s));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** One write(2) of the text, as cgroupfs expects (no create, no truncate). */
    static void write(Path p, String text) throws IOException {
        if (!Files.exists(p)) {
            throw new NoSuchFileException(p.toString());
        }
        try (var out = new FileOutputStream(p.toFile(), true)) {
            out.write(text.getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** A "Name:\tvalue" field of /proc/PID/status, trimmed; null if absent. */
    static String statusField(List<String> statusLines, String name) {
        for (String line : statusLines) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        return null;
    }
}
