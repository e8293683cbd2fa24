package dev.spillway.operators.csv;

import dev.spillway.errors.CsvFormatException;
import dev.spillway.options.CsvOptions;
import dev.spillway.options.InvalidUtf8;

import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * UTF-8 validation of CSV text: the validator agrees with the JDK's strict decoder on random
 * bytes; a scan fails on ill-formed text with {@code file:line:column} and the bytes in hex, or
 * replaces it with U+FFFD when asked; valid text at every alignment reads back exactly.
 */
class CsvUtf8Test {
    private static final Schema SCHEMA = Schema.of(Field.of("id", DataType.INT64), Field.of("name", DataType.UTF8));

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    private static boolean jdkValid(byte[] b) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static byte[] replaced(byte[] b) {
        byte[] out = new byte[3 * b.length];
        int n = Utf8Validation.replaceInvalid(MemorySegment.ofArray(b), 0, b.length, out);
        return Arrays.copyOf(out, n);
    }

    @Test
    void agreesWithTheJdkDecoderOnRandomBytes() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        int[] interesting = {0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF,
            0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
        for (int round = 0; round < 200_000; round++) {
            int n = rnd.nextInt(24);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            while (out.size() < n) {
                switch (rnd.nextInt(4)) {
                    case 0 -> out.write('a' + rnd.nextInt(26));
                    case 1 -> out.write(interesting[rnd.nextInt(interesting.length)]);
                    case 2 -> out.writeBytes(new String(Character.toChars(rnd.nextInt(0x110000) & ~(rnd.nextBoolean() ? 0 : 0xF800)))
                            .getBytes(StandardCharsets.UTF_8));
                    default -> out.write(rnd.nextInt(256));
                }
            }
            byte[] b = out.toByteArray();
            long bad = Utf8Validation.firstInvalid(MemorySegment.ofArray(b), 0, b.length);
            String what = "seed " + seed + " bytes " + Utf8Validation.hex(MemorySegment.ofArray(b), 0, b.length, b.length);
            assertEquals(jdkValid(b), bad < 0, what);
            // Replacement follows the standard's maximal-subpart practice (the JDK's decoder merges
            // some subparts, e.g. ED A0 of a surrogate, so the oracle is the WHATWG decoder).
            byte[] r = replaced(b);
            assertEquals(-1, Utf8Validation.firstInvalid(MemorySegment.ofArray(r), 0, r.length), what);
            assertEquals(whatwgDecode(b), new String(r, StandardCharsets.UTF_8), what);
        }
    }

    /** The WHATWG Encoding Standard's UTF-8 decoder (replacement mode), written as its spec reads. */
    private static String whatwgDecode(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        int needed = 0;
        int seen = 0;
        int cp = 0;
        int lower = 0x80;
        int upper = 0xBF;
        int i = 0;
        while (true) {
            if (i == bytes.length) {
                if (needed != 0) {
                    out.append('\uFFFD');
                }
                return out.toString();
            }
            int b = bytes[i] & 0xFF;
            if (needed == 0) {
                i++;
                if (b <= 0x7F) {
                    out.append((char) b);
                } else if (b >= 0xC2 && b <= 0xDF) {
                    needed = 1;
                    cp = b & 0x1F;
                } else if (b >= 0xE0 && b <= 0xEF) {
                    lower = b == 0xE0 ? 0xA0 : 0x80;
                    upper = b == 0xED ? 0x9F : 0xBF;
                    needed = 2;
                    cp = b & 0xF;
                } else if (b >= 0xF0 && b <= 0xF4) {
                    lower = b == 0xF0 ? 0x90 : 0x80;
                    upper = b == 0xF4 ? 0x8F : 0xBF;
                    needed = 3;
                    cp = b & 0x7;
                } else {
                    out.append('\uFFFD');
                }
                continue;
            }
            if (b < lower || b > upper) {
                needed = 0;
                seen = 0;
                cp = 0;
                lower = 0x80;
                upper = 0xBF;
                out.append('\uFFFD');
                continue; // the byte is processed again
            }
            i++;
            lower = 0x80;
            upper = 0xBF;
            cp = cp << 6 | b & 0x3F;
            if (++seen == needed) {
                out.appendCodePoint(cp);
                needed = 0;
                seen = 0;
                cp = 0;
            }
        }
    }

    @Test
    void namedCasesOfIllFormedUtf8() {
        assertEquals(-1, Utf8Validation.firstInvalid(MemorySegment.ofArray("héllo wörld, 日本語 😀 ok".getBytes(StandardCharsets.UTF_8)), 0,
                "héllo wörld, 日本語 😀 ok".getBytes(StandardCharsets.UTF_8).length));
        Object[][] cases = {
            {bytes(0xC0, 0xAF), "an overlong encoding (0xC0 and 0xC1 never occur in UTF-8)"},
            {bytes(0xE0, 0x80, 0xAF), "an overlong encoding"},
            {bytes(0xF0, 0x80, 0x80, 0xAF), "an overlong encoding"},
            {bytes(0xED, 0xA0, 0x80), "a UTF-16 surrogate (U+D800..U+DFFF)"},
            {bytes(0xED, 0xBF, 0xBF), "a UTF-16 surrogate (U+D800..U+DFFF)"},
            {bytes(0xF4, 0x90, 0x80, 0x80), "a code point above U+10FFFF"},
            {bytes(0xF5, 0x80, 0x80, 0x80), "0xF5 never occurs in UTF-8"},
            {bytes(0x80), "a continuation byte without a lead byte"},
            {bytes(0xE2, 0x82), "a sequence truncated at the end of the field"},
            {bytes(0xE2, 0x41), "0x41 cannot follow 0xE2 here"},
        };
        for (Object[] c : cases) {
            byte[] b = (byte[]) c[0];
            MemorySegment seg = MemorySegment.ofArray(b);
            assertEquals(0, Utf8Validation.firstInvalid(seg, 0, b.length), (String) c[1]);
            assertEquals(c[1], Utf8Validation.describe(seg, 0, b.length));
        }
    }

    private static Path writeBytes(Path dir, String name, byte[]... parts) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        Path f = dir.resolve(name);
        Files.write(f, out.toByteArray());
        return f;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void illFormedTextFailsWithFileLineColumnAndTheBytesInHexAtEverySplitSize() {
        assertNoLeaks(mem -> {
            StringBuilder good = new StringBuilder("id,name\n");
            for (int i = 0; i < 500; i++) {
                good.append(i).append(",näme-").append(i).append('\n');
            }
            // Line 502: "500,ab" then a 3-byte sequence cut after its second byte, then the record ends.
            Path f = writeBytes(mem.dataDir(), "bad.csv", good.toString().getBytes(StandardCharsets.UTF_8), ascii("500,ab"),
                    bytes(0xE2, 0x82), ascii("\n501,fine\n"));
            CsvOptions opts = CsvOptions.defaults().withSchema(SCHEMA);
            for (long split : new long[] {0, 1, 7, 8, 9, 64, 1000}) {
                CsvFormatException e = assertThrows(CsvFormatException.class,
                        () -> CsvScanTest.readAll(mem, List.of(f), opts, null, split));
                long offset = good.toString().getBytes(StandardCharsets.UTF_8).length + 6;
                assertEquals(f + ":502:7: invalid UTF-8 in column 2 ('name'): bytes E2 82 at byte offset " + offset
                        + " are a sequence truncated at the end of the field; expected well-formed UTF-8 (or read with"
                        + " CsvOptions.withInvalidUtf8(InvalidUtf8.REPLACE) to get U+FFFD for each bad sequence)",
                        e.getMessage(), "split " + split);
                assertEquals(502, e.line());
                assertEquals(2, e.column());
                assertEquals("E2 82", e.text());
            }
        });
    }

    @Test
    void theColumnCountsCharactersAndQuotedLinesAreCounted() {
        assertNoLeaks(mem -> {
            // Line 3 holds the end of a quoted field that started on line 2; the surrogate follows "é\"x" on it.
            Path f = writeBytes(mem.dataDir(), "q.csv", ascii("id,name\n1,\"two\n"), "é\"\"x".getBytes(StandardCharsets.UTF_8),
                    bytes(0xED, 0xA0, 0x80), ascii("\"\n"));
            CsvFormatException e = assertThrows(CsvFormatException.class,
                    () -> CsvScanTest.readAll(mem, List.of(f), CsvOptions.defaults().withSchema(SCHEMA), null, 0));
            assertEquals(3, e.line());
            assertEquals("ED A0", e.text());
            assertEquals(true, e.getMessage().startsWith(f + ":3:5: invalid UTF-8 in column 2 ('name'): bytes ED A0 at byte"),
                    e.getMessage());
            assertEquals(true, e.getMessage().contains("are a UTF-16 surrogate (U+D800..U+DFFF)"), e.getMessage());
        });
    }

    @Test
    void anIllFormedHeaderFailsToo() {
        assertNoLeaks(mem -> {
            Path f = writeBytes(mem.dataDir(), "h.csv", ascii("id,na"), bytes(0xC1, 0xBF), ascii("me\n1,x\n"));
            CsvOptions opts = CsvOptions.defaults().withSchema(Schema.of(Field.of("id", DataType.INT64),
                    Field.of("na\uFFFD\uFFFDme", DataType.UTF8)));
            CsvFormatException e = assertThrows(CsvFormatException.class, () -> CsvScanTest.readAll(mem, List.of(f), opts, null, 0));
            assertEquals(true, e.getMessage().startsWith(f + ":1:6: invalid UTF-8 in header field 2: bytes C1 BF at byte offset 5"
                    + " are an overlong encoding (0xC0 and 0xC1 never occur in UTF-8)"), e.getMessage());
            // Replacing, the header reads as the JDK decodes it and the rows follow.
            List<List<Object>> rows = CsvScanTest.readAll(mem, List.of(f), opts.withInvalidUtf8(InvalidUtf8.REPLACE), null, 0);
            assertEquals(List.of(List.of(1L, "x")), rows);
        });
    }

    @Test
    void replaceModeSubstitutesUfffdForEachMaximalSubpart() {
        assertNoLeaks(mem -> {
            Path f = writeBytes(mem.dataDir(), "r.csv", ascii("id,name\n1,a"), bytes(0xC0, 0xAF), ascii("b\n2,"),
                    bytes(0xED, 0xA0, 0x80), ascii("\n3,\"q\"\""), bytes(0xF0, 0x9F, 0x98), ascii("\"\"\"\n4,ok "),
                    "😀".getBytes(StandardCharsets.UTF_8), ascii("\n5,x"), bytes(0xE2, 0x82));
            List<List<Object>> rows = CsvScanTest.readAll(mem, List.of(f),
                    CsvOptions.defaults().withSchema(SCHEMA).withInvalidUtf8(InvalidUtf8.REPLACE), null, 0);
            assertEquals(List.of(
                    List.of(1L, "a\uFFFD\uFFFDb"),
                    List.of(2L, "\uFFFD\uFFFD\uFFFD"),
                    List.of(3L, "q\"\uFFFD\""),
                    List.of(4L, "ok 😀"),
                    List.of(5L, "x\uFFFD")), rows);
        });
    }

    @Test
    void validMultiByteTextAtEveryWordAlignmentAndSplitBoundaryReadsBackExactly() {
        assertNoLeaks(mem -> {
            String[] chars = {"é", "€", "😀", "日", "\u07FF", "\u0800", "\uFFFD", new String(Character.toChars(0x10FFFF))};
            List<List<Object>> expected = new ArrayList<>();
            StringBuilder text = new StringBuilder("id,name\n");
            long id = 0;
            for (String c : chars) {
                for (int pad = 0; pad <= 9; pad++) {
                    String v = "x".repeat(pad) + c + "y".repeat(9 - pad) + c;
                    expected.add(List.of(id, v));
                    text.append(id++).append(',').append(v).append('\n');
                }
            }
            // The last record ends the file without a newline, its last character a 4-byte one.
            expected.add(List.of(id, "end😀"));
            text.append(id).append(",end😀");
            Path f = writeBytes(mem.dataDir(), "ok.csv", text.toString().getBytes(StandardCharsets.UTF_8));
            for (long split : new long[] {0, 1, 5, 13, 100}) {
                assertEquals(expected, CsvScanTest.readAll(mem, List.of(f), CsvOptions.defaults().withSchema(SCHEMA), null, split),
                        "split " + split);
            }
        });
    }
}
