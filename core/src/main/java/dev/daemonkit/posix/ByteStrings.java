package dev.daemonkit.posix;

import dev.daemonkit.internal.libc.CString;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Arguments and file names that are bytes, not text. A Unix argument need not be valid UTF-8; the
 * JVM decodes {@code main}'s arguments with the platform charset and turns such bytes into U+FFFD
 * (or '?'), losing them. daemonkit carries them in Java strings the way Python's
 * "surrogateescape" does: each byte that is not part of valid UTF-8 becomes the lone surrogate
 * U+DC80..U+DCFF, and every daemonkit call that hands a string to the kernel (spawn arguments,
 * program and file paths) turns it back into that byte. Strings of valid UTF-8 are unaffected.
 */
public final class ByteStrings {
    private ByteStrings() {
    }

    /** {@code bytes} as a string, bytes that are not UTF-8 escaped. */
    public static String decode(byte[] bytes) {
        return CString.decode(bytes);
    }

    /** The bytes a string stands for: UTF-8, escaped bytes restored. */
    public static byte[] encode(String s) {
        return CString.encode(s);
    }

    /** Whether {@code s} carries bytes that are not UTF-8 (and so cannot be a {@link Path}). */
    public static boolean hasRawBytes(String s) {
        return CString.hasEscapes(s);
    }

    /**
     * {@code main}'s arguments with their exact bytes, read from /proc/self/cmdline: they are its
     * last {@code args.length} entries. Each entry is used only if the JVM's own decoding of it
     * gives the string {@code main} received (so an @argfile or a launcher that rewrote the
     * command line is noticed, and the argument is kept as the JVM gave it).
     */
    public static List<String> exactArguments(String[] args) {
        List<byte[]> raw;
        try {
            raw = cmdline(Path.of("/proc/self/cmdline"));
        } catch (IOException e) {
            return Arrays.asList(args);
        }
        if (raw.size() < args.length) {
            return Arrays.asList(args);
        }
        Charset jvm = jvmArgumentCharset();
        List<String> exact = new ArrayList<>(args.length);
        int offset = raw.size() - args.length;
        for (int i = 0; i < args.length; i++) {
            byte[] bytes = raw.get(offset + i);
            exact.add(new String(bytes, jvm).equals(args[i]) ? decode(bytes) : args[i]);
        }
        return exact;
    }

    /** The NUL-separated entries of a /proc/PID/cmdline (or environ) file, in a list the caller may change. */
    public static List<byte[]> cmdline(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        List<byte[]> entries = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < all.length; i++) {
            if (all[i] == 0) {
                entries.add(Arrays.copyOfRange(all, start, i));
                start = i + 1;
            }
        }
        if (start < all.length) {
            entries.add(Arrays.copyOfRange(all, start, all.length));
        }
        return entries;
    }

    private static Charset jvmArgumentCharset() {
        try {
            return Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        } catch (RuntimeException e) {
            return Charset.defaultCharset();
        }
    }

    /**
     * Text another user chose (a process's command line, a STATUS= line, a log's tail), made safe
     * to print on root's terminal: control characters (C0, DEL, C1 — escape sequences start with
     * them) become '?', and more than 500 characters are cut.
     */
    public static String printable(String s) {
        String t = s.length() > 500 ? s.substring(0, 500) + "..." : s;
        StringBuilder sb = new StringBuilder(t.length());
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            sb.append(c < 0x20 && c != '\t' || c == 0x7f || c >= 0x80 && c < 0xa0 ? '?' : c);
        }
        return sb.toString();
    }
}
