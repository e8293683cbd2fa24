package dev.spillway;

import dev.spillway.event.ParquetScanPlanned;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.errors.FormatException;
import dev.spillway.options.ParquetCodec;
import dev.spillway.options.ParquetWriteOptions;
import dev.spillway.memory.testing.LeakCheck;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parquet and Arrow IPC scans and sinks: round trips, interop with DuckDB and Arrow Java, pushdown, errors. */
class FormatsTest {
    private static final int ROWS = 3_000;

    private static Map<String, Object> columns() {
        List<Long> i64 = new ArrayList<>();
        List<Integer> i32 = new ArrayList<>();
        List<Double> f64 = new ArrayList<>();
        List<Boolean> bool = new ArrayList<>();
        List<LocalDate> date = new ArrayList<>();
        List<String> str = new ArrayList<>();
        for (int r = 0; r < ROWS; r++) {
            boolean nul = r % 7 == 3;
            i64.add(nul ? null : (long) r * 1_000_003L - 5);
            i32.add(r % 11 == 5 ? null : r - 100);
            f64.add(r % 13 == 1 ? null : r * 0.25);
            bool.add(r % 5 == 2 ? null : r % 3 == 0);
            date.add(r % 9 == 4 ? null : LocalDate.of(2020, 1, 1).plusDays(r));
            str.add(r % 6 == 0 ? null : "s" + r + (r % 4 == 0 ? "é€" : ""));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("x", i64);
        m.put("i", i32);
        m.put("f", f64);
        m.put("b", bool);
        m.put("d", date);
        m.put("s", str);
        return m;
    }

    private static Spillway engine(LeakCheck.TestMemory mem, List<SpillwayEvent> events) {
        return Spillway.builder().memoryLimit(256L << 20).threads(2).morselRows(1000).tempDir(mem.tempRoot())
                .eventListener(events::add).build();
    }

    @Test
    void parquetRoundTripsEveryTypeWithNullsInEveryCodec() {
        LeakCheck.assertNoLeaks(mem -> {
            try (Spillway sw = engine(mem, new CopyOnWriteArrayList<>())) {
                LazyFrame src = sw.fromColumns(columns());
                for (ParquetCodec codec : ParquetCodec.values()) {
                    Path file = mem.dataDir().resolve("all-" + codec + ".parquet");
                    assertEquals(ROWS, src.sinkParquet(file, ParquetWriteOptions.defaults().withCodec(codec).withRowGroupRows(700)));
                    try (DataFrame expected = src.collect(); DataFrame actual = sw.scanParquet(file).collect()) {
                        assertEquals(expected.schema(), actual.schema());
                        assertTrue(expected.contentEquals(actual), codec + ": " + actual);
                    }
                }
            }
        });
    }

    @Test
    void duckDbReadsWhatSpillwayWritesAndSpillwayReadsWhatDuckDbWrites() throws Exception {
        LeakCheck.assertNoLeaks(mem -> {
            try (Spillway sw = engine(mem, new CopyOnWriteArrayList<>());
                    Connection db = DriverManager.getConnection("jdbc:duckdb:")) {
                Path file = mem.dataDir().resolve("out.parquet");
                sw.fromColumns(columns()).sinkParquet(file);
                long sum = 0;
                long nonNull = 0;
                for (int r = 0; r < ROWS; r++) {
                    if (r % 7 != 3) {
                        sum += (long) r * 1_000_003L - 5;
                        nonNull++;
                    }
                }
                try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery(
                        "SELECT count(*), sum(x), count(x), count(s), min(d), max(s) FROM read_parquet('" + file + "')")) {
                    rs.next();
                    assertEquals(ROWS, rs.getLong(1));
                    assertEquals(sum, rs.getLong(2));
                    assertEquals(nonNull, rs.getLong(3));
                    assertEquals(ROWS - ROWS / 6, rs.getLong(4));
                    assertEquals(LocalDate.of(2020, 1, 1), rs.getObject(5, LocalDate.class));
                }
                for (String codec : List.of("snappy", "zstd", "gzip", "uncompressed")) {
                    Path duck = mem.dataDir().resolve("duck-" + codec + ".parquet");
                    try (Statement st = db.createStatement()) {
                        st.execute("COPY (SELECT i::BIGINT AS x, CASE WHEN i % 5 = 0 THEN NULL ELSE 'v' || i END AS s,"
                                + " (i * 0.5)::DOUBLE AS f, (i % 2 = 0) AS b, DATE '2021-01-01' + (i % 100)::INT AS d, (i % 1000)::INT AS k"
                                + " FROM range(300000) t(i)) TO '" + duck + "' (FORMAT parquet, COMPRESSION " + codec
                                + ", ROW_GROUP_SIZE 100000)");
                    }
                    try (DataFrame df = sw.scanParquet(duck).filter(col("s").isNotNull())
                            .select(col("x"), col("s"), col("d")).collect()) {
                        assertEquals(240_000, df.rowCount(), codec);
                        long want = 0;
                        for (long i = 0; i < 300_000; i++) {
                            want += i % 5 == 0 ? 0 : i;
                        }
                        long got = 0;
                        for (Object v : df.columnValues("x")) {
                            got += (Long) v;
                        }
                        assertEquals(want, got, codec);
                        assertEquals("v1", df.getString(0, "s"));
                    }
                }
            }
        });
    }

    @Test
    void rowGroupsAreSkippedByStatisticsAndColumnsPruned() {
        LeakCheck.assertNoLeaks(mem -> {
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            try (Spillway sw = engine(mem, events)) {
                Path file = mem.dataDir().resolve("sorted.parquet");
                sw.range("k", 0, 100_000).withColumns(col("k").times(lit(2L)).alias("v"))
                        .sinkParquet(file, ParquetWriteOptions.defaults().withRowGroupRows(10_000));
                LazyFrame q = sw.scanParquet(file).filter(col("k").ge(lit(25_000L)).and(col("k").lt(lit(41_000L))))
                        .select(col("k"));
                assertTrue(q.explain().contains("columns=[k]"), q.explain());
                try (DataFrame df = q.collect()) {
                    assertEquals(16_000, df.rowCount());
                }
                ParquetScanPlanned scan = events.stream().filter(e -> e instanceof ParquetScanPlanned)
                        .map(ParquetScanPlanned.class::cast).findFirst().orElseThrow();
                assertEquals(3, scan.rowGroupsRead(), scan.line());
                assertEquals(7, scan.rowGroupsSkipped(), scan.line());
                assertEquals(10, scan.rowGroupsTotal(), scan.line());
                assertEquals(1, scan.columnsRead(), scan.line());
                assertEquals(2, scan.columns(), scan.line());
            }
        });
    }

    @Test
    void betweenSkipsRowGroupsByStatistics() {
        LeakCheck.assertNoLeaks(mem -> {
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            try (Spillway sw = engine(mem, events)) {
                Path file = mem.dataDir().resolve("sorted.parquet");
                sw.range("k", 0, 100_000).sinkParquet(file, ParquetWriteOptions.defaults().withRowGroupRows(10_000));
                LazyFrame q = sw.scanParquet(file).filter(col("k").between(lit(25_000L), lit(40_999L)));
                assertTrue(q.explain().contains("row-group-bounds=[k >= 25000, k <= 40999]"), q.explain());
                try (DataFrame df = q.collect()) {
                    assertEquals(16_000, df.rowCount());
                    assertEquals(25_000L, df.row(0).get(0));
                    assertEquals(40_999L, df.row(15_999).get(0));
                }
                ParquetScanPlanned scan = events.stream().filter(e -> e instanceof ParquetScanPlanned)
                        .map(ParquetScanPlanned.class::cast).findFirst().orElseThrow();
                assertEquals(3, scan.rowGroupsRead(), scan.line());
                assertEquals(7, scan.rowGroupsSkipped(), scan.line());
            }
        });
    }

    @Test
    void ipcRoundTripsEveryTypeWithNulls() {
        LeakCheck.assertNoLeaks(mem -> {
            try (Spillway sw = engine(mem, new CopyOnWriteArrayList<>())) {
                LazyFrame src = sw.fromColumns(columns());
                Path file = mem.dataDir().resolve("all.arrow");
                assertEquals(ROWS, src.sinkIpc(file));
                try (DataFrame expected = src.collect(); DataFrame actual = sw.scanIpc(file).collect();
                        DataFrame sliced = sw.scanIpc(file).slice(17, 1500).collect()) {
                    assertEquals(expected.schema(), actual.schema());
                    assertTrue(expected.contentEquals(actual), actual.toString());
                    assertEquals(expected.row(17), sliced.row(0));
                }
                // Views at odd offsets go through the normalizing copy.
                Path viaSlice = mem.dataDir().resolve("slice.arrow");
                sw.scanIpc(file).slice(3, 2000).sinkIpc(viaSlice);
                try (DataFrame a = sw.scanIpc(viaSlice).collect(); DataFrame b = src.slice(3, 2000).collect()) {
                    assertTrue(a.contentEquals(b));
                }
            }
        });
    }

    @Test
    void errorsNameTheFileAndColumn() {
        LeakCheck.assertNoLeaks(mem -> {
            try (Spillway sw = engine(mem, new CopyOnWriteArrayList<>()); Connection db = DriverManager.getConnection("jdbc:duckdb:")) {
                Path missing = mem.dataDir().resolve("missing.parquet");
                FormatException e = assertThrows(FormatException.class, () -> sw.scanParquet(missing));
                assertTrue(e.getMessage().contains("missing.parquet") && e.getMessage().contains("not found"), e.getMessage());
                e = assertThrows(FormatException.class, () -> sw.scanIpc(mem.dataDir().resolve("missing.arrow")));
                assertTrue(e.getMessage().contains("missing.arrow"), e.getMessage());

                Path good = mem.dataDir().resolve("good.parquet");
                sw.range("k", 0, 10).sinkParquet(good);
                byte[] bytes = Files.readAllBytes(good);
                for (int i = bytes.length - 40; i < bytes.length - 8; i++) {
                    bytes[i] = (byte) 0xA5;
                }
                Path corrupt = mem.dataDir().resolve("corrupt.parquet");
                Files.write(corrupt, bytes);
                e = assertThrows(FormatException.class, () -> sw.scanParquet(corrupt).collect().close());
                assertTrue(e.getMessage().contains("corrupt.parquet"), e.getMessage());

                // A damaged string offset in an Arrow IPC body: found when the batch is read, naming file and column.
                Path strings = mem.dataDir().resolve("strings.arrow");
                sw.range("k", 10_000, 10_100).select(col("k").cast(dev.spillway.types.DataType.UTF8).alias("s")).sinkIpc(strings);
                byte[] ipc = Files.readAllBytes(strings);
                int at = indexOf(ipc, new byte[] {5, 0, 0, 0, 10, 0, 0, 0, 15, 0, 0, 0});
                assertTrue(at > 0, "the offsets 5, 10, 15 are in the file");
                ipc[at + 4] = (byte) 200;
                Path damaged = mem.dataDir().resolve("damaged.arrow");
                Files.write(damaged, ipc);
                RuntimeException bad = assertThrows(RuntimeException.class, () -> sw.scanIpc(damaged).collect().close());
                FormatException cause = null;
                for (Throwable t = bad; t != null && cause == null; t = t.getCause()) {
                    cause = t instanceof FormatException f ? f : null;
                }
                assertTrue(cause != null && cause.getMessage().contains("damaged.arrow") && cause.getMessage().contains("'s'")
                        && cause.getMessage().contains("string offset 3"), String.valueOf(bad));

                Path notArrow = mem.dataDir().resolve("text.arrow");
                Files.writeString(notArrow, "hello, this is not an arrow file at all");
                e = assertThrows(FormatException.class, () -> sw.scanIpc(notArrow));
                assertTrue(e.getMessage().contains("text.arrow") && e.getMessage().contains("ARROW1"), e.getMessage());

                Path ts = mem.dataDir().resolve("ts.parquet");
                try (Statement st = db.createStatement()) {
                    st.execute("COPY (SELECT 1 AS a, TIME '12:34:56' AS t) TO '" + ts + "' (FORMAT parquet)");
                }
                // An unsupported column (a TIME of day) fails only a query that uses it, naming file, column, type and
                // what is supported.
                try (DataFrame df = sw.scanParquet(ts).select(col("a")).collect()) {
                    assertEquals(1, df.getLong(0, "a"));
                }
                RuntimeException used = assertThrows(RuntimeException.class, () -> sw.scanParquet(ts).select(col("t")));
                assertTrue(used.getMessage().contains("ts.parquet") && used.getMessage().contains("'t'")
                        && used.getMessage().contains("INT64") && used.getMessage().contains("supported: BOOLEAN"), used.getMessage());
                Path dec = mem.dataDir().resolve("dec.parquet");
                try (Statement st = db.createStatement()) {
                    st.execute("COPY (SELECT 7::BIGINT AS a, 1.25::DECIMAL(10,2) AS m) TO '" + dec + "' (FORMAT parquet)");
                }
                // DECIMAL is supported now: it compares with a float64 as a float64.
                try (DataFrame df = sw.scanParquet(dec).filter(col("m").gt(lit(1.0))).collect()) {
                    assertEquals(1, df.rowCount());
                    assertEquals(new java.math.BigDecimal("1.25"), df.get(0, "m"));
                }
                // The first file decides the schema; a later file whose projected column has an unsupported type fails at the scan.
                Path dir = mem.dataDir().resolve("mixed");
                Files.createDirectories(dir);
                try (Statement st = db.createStatement()) {
                    st.execute("COPY (SELECT 1::BIGINT AS a, 2::BIGINT AS m) TO '" + dir.resolve("a.parquet") + "' (FORMAT parquet)");
                    st.execute("COPY (SELECT 3::BIGINT AS a, 4.5::DECIMAL(10,2) AS m) TO '" + dir.resolve("b.parquet") + "' (FORMAT parquet)");
                }
                try (DataFrame df = sw.scanParquet(dir).select(col("a")).collect()) {
                    assertEquals(2, df.rowCount());
                }
                e = assertThrows(FormatException.class, () -> sw.scanParquet(dir).collect().close());
                assertTrue(e.getMessage().contains("b.parquet") && e.getMessage().contains("'m'"), e.getMessage());
                assertEquals("m", e.column());
            }
        });
    }

    @Test
    void largeRowGroupsAreHandedOutInMorselSizedSlices() {
        LeakCheck.assertNoLeaks(mem -> {
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            try (Spillway sw = engine(mem, events); Connection db = DriverManager.getConnection("jdbc:duckdb:")) {
                Path file = mem.dataDir().resolve("big-groups.parquet");
                try (Statement st = db.createStatement()) {
                    st.execute("COPY (SELECT i::BIGINT AS k, CASE WHEN i % 3 = 0 THEN NULL ELSE 'v' || (i % 97) END AS s"
                            + " FROM range(25000) t(i)) TO '" + file + "' (FORMAT parquet, ROW_GROUP_SIZE 12000)");
                }
                long want = 0;
                long strings = 0;
                for (long i = 0; i < 25_000; i++) {
                    want += i;
                    strings += i % 3 == 0 ? 0 : 1;
                }
                try (DataFrame df = sw.scanParquet(file).collect()) {
                    assertEquals(25_000, df.rowCount());
                    for (var m : df.morsels()) {
                        assertTrue(m.rowCount() <= 1000, "morsel of " + m.rowCount() + " rows (morselRows 1000)");
                    }
                    long got = 0;
                    long nonNull = 0;
                    for (long r = 0; r < df.rowCount(); r++) {
                        assertEquals(r, df.getLong(r, "k"), "row order");
                        got += df.getLong(r, "k");
                        Object s = df.get(r, "s");
                        nonNull += s == null ? 0 : 1;
                        assertEquals(r % 3 == 0 ? null : "v" + (r % 97), s, "row " + r);
                    }
                    assertEquals(want, got);
                    assertEquals(strings, nonNull);
                }
                ParquetScanPlanned scan = events.stream().filter(e -> e instanceof ParquetScanPlanned)
                        .map(ParquetScanPlanned.class::cast).findFirst().orElseThrow();
                assertTrue(scan.rowGroupsRead() >= 2 && scan.morsels() >= 25, scan.line());
            }
        });
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
