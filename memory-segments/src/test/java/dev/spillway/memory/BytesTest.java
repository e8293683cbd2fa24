package dev.spillway.memory;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BytesTest {
    @Test
    void parsesSuffixes() {
        assertEquals(1L << 30, Bytes.parse("1g"));
        assertEquals(1L << 30, Bytes.parse("1GiB"));
        assertEquals(512L << 20, Bytes.parse("512m"));
        assertEquals(1536L << 20, Bytes.parse("1.5g"));
        assertEquals(4096, Bytes.parse("4096"));
        assertEquals(2048, Bytes.parse("2 KB"));
    }

    @Test
    void rejectsGarbageWithTheText() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Bytes.parse("lots"));
        assertTrue(e.getMessage().contains("'lots'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Bytes.parse("-1g"));
        assertThrows(IllegalArgumentException.class, () -> Bytes.parse(""));
    }

    @Test
    void formatsBinaryUnits() {
        assertEquals("512 B", Bytes.format(512));
        assertEquals("1.0 MiB", Bytes.format(1L << 20));
        assertEquals("1.5 GiB", Bytes.format(3L << 29));
    }
}
