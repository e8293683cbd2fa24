package dev.spillway.formats.parquet;

import dev.spillway.options.ParquetCodec;
import dev.spillway.options.ParquetWriteOptions;

import dev.spillway.errors.FormatException;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.memory.testing.LeakCheck.TestMemory;
import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Page CRCs: every page Spillway writes carries the CRC32 of its stored bytes, DuckDB reads the
 * files, and a flipped byte inside a page fails the scan naming file, column, row group and page.
 */
class ParquetPageCrcTest {
    private static final Schema SCHEMA = Schema.of(Field.of("k", DataType.INT64), Field.of("s", DataType.UTF8));
    private static final int ROW_GROUP_ROWS = 2000;
    private static final int ROWS = 5 * ROW_GROUP_ROWS;

    private static List<List<Object>> rows() {
        List<List<Object>> rows = new ArrayList<>();
        for (long i = 0; i < ROWS; i++) {
            rows.add(java.util.Arrays.asList(i, i % 7 == 0 ? null : "value-" + i * 31 % 977));
        }
        return rows;
    }

    private static Path write(TestMemory mem, String name, ParquetCodec codec) {
        Path file = mem.dataDir().resolve(name);
        List<List<Object>> rows = rows();
        try (ParquetFileWriter w = new ParquetFileWriter(file, SCHEMA,
                ParquetWriteOptions.defaults().withCodec(codec).withRowGroupRows(ROW_GROUP_ROWS))) {
            for (int from = 0; from < ROWS; from += 1000) {
                w.write(RandomData.morsel(SCHEMA, rows.subList(from, from + 1000), from / 1000, mem.pool(), mem.budget()));
            }
        }
        return file;
    }

    private static List<List<Object>> scan(TestMemory mem, Path file) {
        List<List<Object>> out = new ArrayList<>();
        try (ParquetScan scan = new ParquetScan(List.of(file), SCHEMA, null, List.of(), mem.pool(), mem.budget(), null)) {
            var source = scan.source();
            try {
                while (true) {
                    try (Morsel m = source.next(null)) {
                        if (m == null) {
                            break;
                        }
                        out.addAll(RandomData.rowsOf(m));
                    }
                }
            } finally {
                source.close();
            }
        }
        return out;
    }

    /** (row group, column, chunk offset, chunk bytes) of every column chunk, from DuckDB's reading of the footer. */
    private static List<long[]> chunks(Connection db, Path file) throws Exception {
        List<long[]> out = new ArrayList<>();
        try (Statement st = db.createStatement();
             ResultSet rs = st.executeQuery("SELECT row_group_id, column_id, coalesce(dictionary_page_offset, data_page_offset),"
                     + " total_compressed_size FROM parquet_metadata('" + file + "') ORDER BY row_group_id, column_id")) {
            while (rs.next()) {
                out.add(new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4)});
            }
        }
        return out;
    }

    private static ByteBuffer read(Path file, long at, long length) throws Exception {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            byte[] b = new byte[Math.toIntExact(length)];
            raf.seek(at);
            raf.readFully(b);
            return ByteBuffer.wrap(b);
        }
    }

    @Test
    void everyPageCarriesItsCrcAndDuckDbReadsTheFiles() {
        LeakCheck.assertNoLeaks(mem -> {
            try (Connection db = DriverManager.getConnection("jdbc:duckdb:")) {
                for (ParquetCodec codec : ParquetCodec.values()) {
                    Path file = write(mem, "crc-" + codec + ".parquet", codec);
                    List<long[]> chunks = chunks(db, file);
                    assertEquals(5 * 2, chunks.size(), codec.toString());
                    for (long[] c : chunks) {
                        ByteBuffer bytes = read(file, c[2], c[3]);
                        assertTrue(PageChecksums.pagesWithCrc(bytes) > 0, codec + " chunk " + java.util.Arrays.toString(c));
                        assertNull(PageChecksums.firstMismatch(bytes, c[2]), codec + " chunk " + java.util.Arrays.toString(c));
                    }
                    try (Statement st = db.createStatement();
                         ResultSet rs = st.executeQuery("SELECT count(*), sum(k), count(s), sum(length(s)) FROM '" + file + "'")) {
                        rs.next();
                        List<List<Object>> rows = rows();
                        assertEquals(ROWS, rs.getLong(1), codec.toString());
                        assertEquals((long) ROWS * (ROWS - 1) / 2, rs.getLong(2), codec.toString());
                        assertEquals(rows.stream().filter(r -> r.get(1) != null).count(), rs.getLong(3), codec.toString());
                        assertEquals(rows.stream().filter(r -> r.get(1) != null).mapToLong(r -> ((String) r.get(1)).length()).sum(),
                                rs.getLong(4), codec.toString());
                    }
                    assertEquals(rows(), scan(mem, file), codec.toString());
                }
            }
        });
    }

    @Test
    void aFlippedByteInsideAPageFailsNamingFileColumnRowGroupAndPage() {
        LeakCheck.assertNoLeaks(mem -> {
            try (Connection db = DriverManager.getConnection("jdbc:duckdb:")) {
                for (ParquetCodec codec : ParquetCodec.values()) {
                    Path file = write(mem, "flip-" + codec + ".parquet", codec);
                    // Row group 3, column 1 ('s'): a byte in the second half of the chunk (its second page).
                    long[] chunk = chunks(db, file).stream().filter(c -> c[0] == 3 && c[1] == 1).findFirst().orElseThrow();
                    long at = chunk[2] + chunk[3] * 3 / 4;
                    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                        raf.seek(at);
                        int b = raf.read();
                        raf.seek(at);
                        raf.write(b ^ 0x20);
                    }
                    String page = PageChecksums.firstMismatch(read(file, chunk[2], chunk[3]), chunk[2]);
                    assertTrue(page != null && page.matches("page [01] \\(data page, header at byte \\d+\\): CRC32 [0-9a-f]{8} in the"
                            + " page header, [0-9a-f]{8} over the page's \\d+ bytes"), page);
                    FormatException e = assertThrows(FormatException.class, () -> scan(mem, file), codec.toString());
                    assertEquals(file + ", column 's': row group 3 (at byte " + chunks(db, file).stream()
                            .filter(c -> c[0] == 3).mapToLong(c -> c[2]).min().orElseThrow() + "), " + page + ": the file is damaged",
                            e.getMessage(), codec.toString());
                    assertEquals("s", e.column());
                    assertEquals(file, e.file());
                }
            }
        });
    }
}
