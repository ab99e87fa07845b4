package dev.daemonkit.posix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Strings that carry bytes which are not UTF-8, and give every byte back. */
class ByteStringsTest {
    @Test
    void everyByteSequenceSurvivesTheRoundTrip() {
        Random random = new Random(42);
        for (int i = 0; i < 10_000; i++) {
            byte[] bytes = new byte[random.nextInt(24)];
            random.nextBytes(bytes);
            for (int j = 0; j < bytes.length; j++) {
                if (bytes[j] == 0) {
                    bytes[j] = 1; // C strings hold no NUL
                }
            }
            assertArrayEquals(bytes, ByteStrings.encode(ByteStrings.decode(bytes)));
        }
    }

    @Test
    void validUtf8IsOrdinaryText() {
        String text = "héllo wörld 😀 ✓";
        assertEquals(text, ByteStrings.decode(text.getBytes(StandardCharsets.UTF_8)));
        assertFalse(ByteStrings.hasRawBytes(text), "a surrogate pair is a character, not an escape");
        assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), ByteStrings.encode(text));
    }

    @Test
    void invalidBytesBecomeEscapesAndBack() {
        byte[] latin1 = {'a', (byte) 0xe9, 'b', (byte) 0xff};
        String s = ByteStrings.decode(latin1);
        assertEquals("a\uDCE9b\uDCFF", s);
        assertTrue(ByteStrings.hasRawBytes(s));
        assertArrayEquals(latin1, ByteStrings.encode(s));
    }
}
