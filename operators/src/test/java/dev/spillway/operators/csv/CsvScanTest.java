package dev.spillway.operators.csv;

import dev.spillway.errors.CsvFormatException;
import dev.spillway.options.CsvOptions;

import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck.TestMemory;
import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CsvScanTest {

    /** Reads every split of {@code file} and returns all rows. */
    static List<List<Object>> readAll(TestMemory mem, List<Path> files, CsvOptions options, int[] projection, long splitBytes) {
        Schema schema = CsvScan.inferSchema(files, options);
        try (CsvScan scan = new CsvScan(files, options, schema, projection, mem.pool(), mem.budget())) {
            if (splitBytes > 0) {
                scan.targetSplitBytes(splitBytes);
            }
            List<List<Object>> rows = new ArrayList<>();
            for (int i = 0; i < scan.splitCount(); i++) {
                try (Morsel m = scan.parseSplit(i)) {
                    assertEquals(i, m.sequence());
                    rows.addAll(RandomData.rowsOf(m));
                }
            }
            return rows;
        }
    }

    static Path write(Path dir, String name, String content) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, content, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void quotesEscapesCrlfBomAndNulls() {
        assertNoLeaks(mem -> {
            Path f = write(mem.dataDir(), "q.csv", "\uFEFFid,text,score\r\n"
                    + "1,\"hello, world\",1.5\r\n"
                    + "2,\"say \"\"hi\"\"\",\r\n"
                    + "3,\"two\nlines\",-0.25\r\n"
                    + "4,,3\r\n"
                    + "5,\"\",NaN\r\n"
                    + "\r\n"
                    + "6,日本,1e3");
            Schema schema = CsvScan.inferSchema(List.of(f), CsvOptions.defaults());
            assertEquals(Schema.of(Field.of("id", DataType.INT64), Field.of("text", DataType.UTF8),
                    Field.of("score", DataType.FLOAT64)), schema);
            List<List<Object>> rows = readAll(mem, List.of(f), CsvOptions.defaults(), null, 0);
            assertEquals(List.of(
                    Arrays.asList(1L, "hello, world", 1.5),
                    Arrays.asList(2L, "say \"hi\"", null),
                    Arrays.asList(3L, "two\nlines", -0.25),
                    Arrays.asList(4L, null, 3.0),
                    Arrays.asList(5L, "", Double.NaN),
                    Arrays.asList(6L, "日本", 1000.0)), rows);
        });
    }

    @Test
    void anySplitSizeGivesTheSameRowsInOrder() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        try {
            assertNoLeaks(mem -> {
                Schema schema = RandomData.allTypes();
                List<List<Object>> rows = RandomData.rows(schema, 2000, rnd, 0.15);
                Path f = mem.dataDir().resolve("r.csv");
                try (CsvWriter w = new CsvWriter(f, schema, CsvOptions.defaults());
                     Morsel m = RandomData.morsel(schema, rows, 0, mem.pool(), mem.budget())) {
                    w.write(m);
                }
                CsvOptions opts = CsvOptions.defaults().withSchema(schema);
                List<List<Object>> whole = readAll(mem, List.of(f), opts, null, 1L << 30);
                assertEquals(rows, whole);
                for (long split : new long[] {1, 7, 100, 4096}) {
                    assertEquals(rows, readAll(mem, List.of(f), opts, null, split), "split size " + split);
                }
                // Projection: only two columns, in the requested order.
                List<List<Object>> projected = readAll(mem, List.of(f), opts, new int[] {4, 1}, 333);
                for (int i = 0; i < rows.size(); i++) {
                    assertEquals(Arrays.asList(rows.get(i).get(4), rows.get(i).get(1)), projected.get(i));
                }
            });
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("failed with seed " + seed, e);
        }
    }

    @Test
    void schemaInference() {
        assertNoLeaks(mem -> {
            Path f = write(mem.dataDir(), "i.csv", "a,b,c,d,e,f\n1,1.5,2024-01-01,true,x,\n-2,3,2024-02-29,FALSE,7,\n");
            Schema s = CsvScan.inferSchema(List.of(f), CsvOptions.defaults());
            assertEquals(List.of(DataType.INT64, DataType.FLOAT64, DataType.DATE32, DataType.BOOLEAN, DataType.UTF8, DataType.UTF8),
                    s.fields().stream().map(Field::type).toList());
            Path noHeader = write(mem.dataDir(), "n.csv", "1,x\n2,y\n");
            Schema n = CsvScan.inferSchema(List.of(noHeader), CsvOptions.defaults().withHeader(false));
            assertEquals(List.of("column_1", "column_2"), n.names());
            assertEquals(List.of(List.of(1L, "x"), List.of(2L, "y")),
                    readAll(mem, List.of(noHeader), CsvOptions.defaults().withHeader(false), null, 0));
            Path semi = write(mem.dataDir(), "s.csv", "a;b\n1;NA\nNA;2\n");
            CsvOptions so = CsvOptions.defaults().withDelimiter(';').withNullString("NA");
            assertEquals(List.of(Arrays.asList(1L, null), Arrays.asList(null, 2L)), readAll(mem, List.of(semi), so, null, 0));
        });
    }

    @Test
    void severalFilesInOrder() {
        assertNoLeaks(mem -> {
            Path a = write(mem.dataDir(), "a.csv", "k,v\n1,x\n2,y\n");
            Path b = write(mem.dataDir(), "b.csv", "k,v\n3,z\n");
            assertEquals(List.of(List.of(1L, "x"), List.of(2L, "y"), List.of(3L, "z")),
                    readAll(mem, List.of(a, b), CsvOptions.defaults(), null, 0));
            Path c = write(mem.dataDir(), "c.csv", "k,w\n3,z\n");
            CsvFormatException e = assertThrows(CsvFormatException.class,
                    () -> readAll(mem, List.of(a, c), CsvOptions.defaults(), null, 0));
            assertEquals(c + ":1: header [k, w] does not match the expected columns [k, v]", e.getMessage());
        });
    }

    /** Name, file content, expected message after the file path (the schema is inferred from row 1 only). */
    private static final String[][] MALFORMED = {
        {"unterminated quote", "a,b\n1,\"open\n2,3\n", ":2: column 2 ('#2'): quoted field is not closed before the end of the file"},
        {"too many fields", "a,b\n1,2\n3,4,5\n", ":3: expected 2 fields (a, b), found 3"},
        {"too few fields", "a,b\n1,2\n3\n", ":3: expected 2 fields (a, b), found 1"},
        {"bad int", "a,b\n1,2\nx1,4\n", ":3: column 1 ('a'): cannot parse as an int64: 'x1'"},
        {"int overflow", "a,b\n1,2\n9223372036854775808,4\n", ":3: column 1 ('a'): cannot parse as an int64: '9223372036854775808'"},
        {"bad float", "a,b\n1,2.5\n2,2.5.1\n", ":3: column 2 ('b'): cannot parse as a float64: '2.5.1'"},
        {"bad date", "d\n2024-01-01\n2024-02-30\n", ":3: column 1 ('d'): cannot parse as a date (yyyy-MM-dd): '2024-02-30'"},
        {"bad boolean", "a,b\ntrue,1\nyes,2\n", ":3: column 1 ('a'): cannot parse as a boolean (true or false): 'yes'"},
        {"stray quote", "a,b\n1,ab\"c\n",
            ":2: column 2 ('#2'): quote character inside an unquoted field (quote the whole field and double the quote): 'ab\"c'"},
        {"text after closing quote", "a,b\n1,\"ab\"c\n",
            ":2: column 2 ('#2'): unexpected character after a closing quote (a quote inside a quoted field must be doubled): '\"ab\"c'"},
        {"empty with header", "", ":1: file is empty: no header to read column names from"},
        {"duplicate header", "a,a\n1,2\n", ":1: header has duplicate column name 'a' at positions 0 and 1 in [a: int64, a: int64]"},
    };

    @Test
    void malformedFilesGiveTheirExactError() {
        assertNoLeaks(mem -> {
            for (String[] c : MALFORMED) {
                Path f = write(mem.dataDir(), "bad.csv", c[1]);
                CsvFormatException e = assertThrows(CsvFormatException.class,
                        () -> readAll(mem, List.of(f), CsvOptions.defaults().withInferRows(1), null, 0), c[0]);
                assertEquals(f + c[2], e.getMessage(), c[0]);
            }
        });
    }

    @Test
    void errorsNameTheirLineWhateverTheSplitSizeWithNewlinesInsideQuotes() {
        assertNoLeaks(mem -> {
            StringBuilder text = new StringBuilder("id,note\n");
            int line = 2;
            for (int i = 0; i < 700; i++) {
                if (i % 3 == 0) {
                    text.append(i).append(",\"two\nlines\"\n");
                    line += 2;
                } else {
                    text.append(i).append(",plain").append(i).append('\n');
                    line++;
                }
            }
            text.append("oops,x\n");
            Path f = write(mem.dataDir(), "lines.csv", text.toString());
            CsvOptions opts = CsvOptions.defaults().withSchema(Schema.of(Field.of("id", DataType.INT64), Field.of("note", DataType.UTF8)));
            for (long split : new long[] {0, 1, 5, 8, 9, 64, 1000}) {
                CsvFormatException e = assertThrows(CsvFormatException.class, () -> readAll(mem, List.of(f), opts, null, split));
                assertEquals(f + ":" + line + ": column 1 ('id'): cannot parse as an int64: 'oops'", e.getMessage(), "split " + split);
            }
        });
    }

    @Test
    void countByteCountsExactlyTheMatchingBytes() {
        Random rnd = new Random(11);
        byte[] alphabet = {'\n', '"', 'a', 0, (byte) 0x8A, (byte) 0xFF, 9, 11};
        for (int k = 0; k < 20000; k++) {
            long w = 0;
            int expected = 0;
            for (int b = 0; b < 8; b++) {
                byte v = alphabet[rnd.nextInt(alphabet.length)];
                expected += v == '\n' ? 1 : 0;
                w |= (v & 0xFFL) << (8 * b);
            }
            assertEquals(expected, CsvSplits.countByte(w, 0x0101010101010101L * '\n'), Long.toHexString(w));
        }
    }

    @Test
    void givenSchemaIsEnforced() {
        assertNoLeaks(mem -> {
            Path f = write(mem.dataDir(), "g.csv", "a,b\n1,2024-01-05\n");
            Schema given = Schema.of(Field.of("a", DataType.INT32), Field.of("b", DataType.DATE32));
            assertEquals(List.of(List.of(1, LocalDate.of(2024, 1, 5))),
                    readAll(mem, List.of(f), CsvOptions.defaults().withSchema(given), null, 0));
            Path big = write(mem.dataDir(), "h.csv", "a,b\n3000000000,2024-01-05\n");
            CsvFormatException e = assertThrows(CsvFormatException.class,
                    () -> readAll(mem, List.of(big), CsvOptions.defaults().withSchema(given), null, 0));
            assertTrue(e.getMessage().endsWith(":2: column 1 ('a'): cannot parse as an int32: '3000000000'"), e.getMessage());
            assertEquals(2, e.line());
            assertEquals(1, e.column());
        });
    }
}
