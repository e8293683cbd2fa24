package dev.spillway.arrow;

import dev.spillway.internal.EngineInternals;

import dev.spillway.DataFrame;
import dev.spillway.LazyFrame;
import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.c.Data;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.duckdb.DuckDBConnection;
import org.duckdb.DuckDBResultSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.math.BigDecimal;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.spillway.Expr.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DuckDB and Spillway exchanging Arrow C streams: a DuckDB result scanned (and queried) by
 * Spillway, and a Spillway result registered in DuckDB and queried with SQL, the values
 * compared on both sides. Arrow Java's C data module only moves the stream pointer between the
 * two (DuckDB's JDBC API takes and gives Arrow Java objects); the data flows through the C structs.
 */
@Tag("arrow-java")
class DuckDbArrowStreamTest {
    private static final int ROWS = 5000;

    @Test
    void duckDbResultScannedBySpillway() {
        ArrowTestSupport.withEngine(1000, sw -> {
            try (BufferAllocator allocator = new RootAllocator();
                    DuckDBConnection conn = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:")) {
                try (Statement st = conn.createStatement()) {
                    st.execute("SET TimeZone = 'UTC'");
                }
                String sql = "SELECT"
                        + " CASE WHEN i % 7 = 0 THEN NULL ELSE i::INTEGER END AS i,"
                        + " CASE WHEN i % 11 = 0 THEN NULL ELSE i * 1000000007 END::BIGINT AS l,"
                        + " CASE WHEN i % 13 = 0 THEN NULL ELSE i / 8.0 END::DOUBLE AS g,"
                        + " CASE WHEN i % 17 = 0 THEN NULL ELSE i % 3 = 0 END AS b,"
                        + " CASE WHEN i % 19 = 0 THEN NULL ELSE DATE '2000-01-01' + i::INTEGER END AS d,"
                        + " CASE WHEN i % 23 = 0 THEN NULL ELSE 'row ' || i END AS s,"
                        + " CASE WHEN i % 29 = 0 THEN NULL ELSE (i * 1.25 - 100)::DECIMAL(18,2) END AS dec,"
                        + " CASE WHEN i % 31 = 0 THEN NULL ELSE TIMESTAMP '2020-01-01' + i * INTERVAL 1 SECOND END AS ts,"
                        + " CASE WHEN i % 37 = 0 THEN NULL ELSE TIMESTAMPTZ '2021-06-01 00:00:00+00' + i * INTERVAL 1 MINUTE END AS tz"
                        + " FROM range(" + ROWS + ") r(i) ORDER BY r.i";
                try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql);
                        ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator)) {
                    // The exported stream owns the reader: its release (by Spillway's scan) closes it.
                    ArrowReader reader = (ArrowReader) ((DuckDBResultSet) rs).arrowExportStream(allocator, 700);
                    Data.exportArrayStream(allocator, reader, stream);
                    LazyFrame frame = sw.fromArrowStream(MemorySegment.ofAddress(stream.memoryAddress()));
                    assertEquals("Schema[i: int32, l: int64, g: float64, b: boolean, d: date32, s: utf8, dec: decimal(18,2), "
                            + "ts: timestamp, tz: timestamp(UTC)]", frame.schema().toString());
                    try (DataFrame df = frame.collect()) {
                        assertEquals(ROWS, df.rowCount());
                        for (int i = 0; i < ROWS; i++) {
                            assertEquals(expected(i), df.row(i), "row " + i);
                        }
                    }
                }
            }
        });
    }

    private static List<Object> expected(long i) {
        return Arrays.asList(
                i % 7 == 0 ? null : (int) i,
                i % 11 == 0 ? null : i * 1_000_000_007L,
                i % 13 == 0 ? null : i / 8.0,
                i % 17 == 0 ? null : i % 3 == 0,
                i % 19 == 0 ? null : LocalDate.of(2000, 1, 1).plusDays(i),
                i % 23 == 0 ? null : "row " + i,
                i % 29 == 0 ? null : BigDecimal.valueOf(i * 125 - 10_000, 2),
                i % 31 == 0 ? null : LocalDateTime.of(2020, 1, 1, 0, 0).plusSeconds(i),
                i % 37 == 0 ? null : Instant.parse("2021-06-01T00:00:00Z").plus(i, ChronoUnit.MINUTES));
    }

    @Test
    void spillwayResultQueriedByDuckDb() {
        ArrowTestSupport.withEngine(300, sw -> {
            try (BufferAllocator allocator = new RootAllocator();
                    DuckDBConnection conn = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:");
                    DataFrame df = ArrowTestSupport.sample(sw, 2000, 21).filter(col("l").isNotNull()).collect()) {
                assertTrue(EngineInternals.morsels(df).size() > 3, "several batches: " + EngineInternals.morsels(df).size());
                List<List<Object>> want = new ArrayList<>();
                for (List<Object> row : df.rows()) {
                    want.add(comparable(row));
                }
                want.sort((a, b) -> Long.compare((Long) a.get(1), (Long) b.get(1)));
                try (ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator)) {
                    ArrowExport.exportStream(df, MemorySegment.ofAddress(stream.memoryAddress()));
                    conn.registerArrowStream("ours", stream);
                    List<List<Object>> got = new ArrayList<>();
                    try (Statement st = conn.createStatement();
                            ResultSet rs = st.executeQuery("SELECT i, l, g, b, d - DATE '1970-01-01', s, dec::VARCHAR,"
                                    + " epoch_us(ts), epoch_us(tz) FROM ours ORDER BY l")) {
                        while (rs.next()) {
                            List<Object> row = new ArrayList<>();
                            for (int c = 1; c <= 9; c++) {
                                row.add(rs.getObject(c));
                            }
                            got.add(normalize(row));
                        }
                    }
                    assertEquals(want.size(), got.size());
                    for (int r = 0; r < want.size(); r++) {
                        assertEquals(want.get(r), got.get(r), "row " + r + " ordered by l");
                    }
                }
            }
            assertEquals(0, ArrowExport.unreleased(), "DuckDB released the stream and its arrays");
        });
    }

    /** A Spillway row as DuckDB's query above returns it: days, decimal text, epoch microseconds. */
    private static List<Object> comparable(List<Object> row) {
        List<Object> out = new ArrayList<>(row);
        out.set(4, row.get(4) == null ? null : ((LocalDate) row.get(4)).toEpochDay());
        out.set(6, row.get(6) == null ? null : ((BigDecimal) row.get(6)).toPlainString());
        out.set(7, row.get(7) == null ? null : ChronoUnit.MICROS.between(LocalDateTime.of(1970, 1, 1, 0, 0).atOffset(ZoneOffset.UTC),
                ((LocalDateTime) row.get(7)).atOffset(ZoneOffset.UTC)));
        out.set(8, row.get(8) == null ? null : ChronoUnit.MICROS.between(Instant.EPOCH, (Instant) row.get(8)));
        return out;
    }

    /** JDBC's boxed numbers as the types {@link #comparable} uses. */
    private static List<Object> normalize(List<Object> row) {
        List<Object> out = new ArrayList<>(row);
        out.set(4, row.get(4) == null ? null : ((Number) row.get(4)).longValue());
        out.set(7, row.get(7) == null ? null : ((Number) row.get(7)).longValue());
        out.set(8, row.get(8) == null ? null : ((Number) row.get(8)).longValue());
        return out;
    }
}
