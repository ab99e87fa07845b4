package dev.daemonkit.internal.libc;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * C strings that keep every byte. Unix paths and arguments are bytes, not text: a file name or an
 * argument need not be valid UTF-8. Such bytes are carried in a Java string the way Python's
 * "surrogateescape" does (PEP 383): each byte that is not part of valid UTF-8 becomes the lone
 * surrogate U+DC80..U+DCFF, and turns back into the same byte on the way out. Valid UTF-8 is
 * decoded as usual, so ordinary strings are untouched.
 */
public final class CString {
    private static final char ESCAPE_BASE = '\uDC00';

    private CString() {
    }

    /** {@code s} NUL-terminated in {@code arena}, escaped bytes restored. */
    public static MemorySegment of(Arena arena, String s) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a C string cannot contain a NUL byte: " + s.replace("\0", "\\0"));
        }
        return ofBytes(arena, encode(s));
    }

    /** {@code bytes} NUL-terminated in {@code arena}, as they are. */
    public static MemorySegment ofBytes(Arena arena, byte[] bytes) {
        for (byte b : bytes) {
            if (b == 0) {
                throw new IllegalArgumentException("a C string cannot contain a NUL byte");
            }
        }
        MemorySegment c = arena.allocate(bytes.length + 1L);
        MemorySegment.copy(bytes, 0, c, ValueLayout.JAVA_BYTE, 0, bytes.length);
        c.set(ValueLayout.JAVA_BYTE, bytes.length, (byte) 0);
        return c;
    }

    /** The bytes of {@code s}: UTF-8, except that U+DC80..U+DCFF stand for the raw bytes 0x80..0xFF. */
    public static byte[] encode(String s) {
        if (!hasEscapes(s)) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length() + 8);
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (isEscape(s, i)) {
                out.writeBytes(s.substring(start, i).getBytes(StandardCharsets.UTF_8));
                out.write(c - ESCAPE_BASE);
                start = i + 1;
            }
        }
        out.writeBytes(s.substring(start).getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** {@code bytes} as a string: valid UTF-8 decoded, every other byte escaped (see the class comment). */
    public static String decode(byte[] bytes) {
        CharsetDecoder strict = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return strict.decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return decodeEscaping(bytes, strict);
        }
    }

    /** Whether {@code s} carries bytes that are not UTF-8 text. */
    public static boolean hasEscapes(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (isEscape(s, i)) {
                return true;
            }
        }
        return false;
    }

    /** A lone low surrogate in U+DC80..U+DCFF (a paired one is part of a real character). */
    private static boolean isEscape(String s, int i) {
        char c = s.charAt(i);
        return c >= '\uDC80' && c <= '\uDCFF' && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
    }

    private static String decodeEscaping(byte[] bytes, CharsetDecoder strict) {
        strict.reset();
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length * 2 + 1);
        while (true) {
            var result = strict.decode(in, out, true);
            if (result.isUnderflow()) {
                strict.flush(out);
                break;
            }
            if (result.isOverflow()) {
                throw new IllegalStateException("decode buffer too small"); // cannot happen: ≤ 2 chars a byte
            }
            for (int k = 0; k < result.length(); k++) {
                out.put((char) (ESCAPE_BASE + (in.get() & 0xFF)));
            }
        }
        out.flip();
        return out.toString();
    }
}
