package dev.spillway;

import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import dev.spillway.memory.Timestamps;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.memory.testing.RandomData;
import dev.spillway.errors.CsvFormatException;
import dev.spillway.options.CsvOptions;
import dev.spillway.options.JoinType;
import dev.spillway.errors.PlanException;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.Period;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import static dev.spillway.Expr.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Timestamps end to end: schemas, printing and expressions in queries; sort, top-k, join and
 * group-by keys and min/max/first/last against java.util oracles at every memory setting
 * (spilling must not change a result); CSV parsing, inference and errors; Parquet (also
 * DuckDB-written: TIMESTAMP, TIMESTAMPTZ, TIMESTAMP_MS, TIMESTAMP_NS) and Arrow IPC round trips.
 */
class TimestampTest {
    private static final List<MemorySetting> SETTINGS = MemorySetting.three(64L << 20, 4096, 12L << 20, 1024);
    /** Keys: instants in UTC. Values: naive date-times. */
    private static final Schema LEFT = Schema.of(Field.timestamp("k", "UTC"), Field.timestamp("v", null));
    private static final Schema RIGHT = Schema.of(Field.timestamp("k", "UTC"), Field.of("w", DataType.INT64));

    @Test
    void schemasPrintingAndExpressions() {
        EngineTestSupport.withEngine(64L << 20, (sw, dir) -> {
            List<LocalDateTime> ts = Arrays.asList(LocalDateTime.of(2024, 1, 31, 3, 4, 5, 123_456_000), null,
                    LocalDateTime.of(1969, 12, 31, 23, 59, 59, 999_999_000), LocalDateTime.of(2024, 3, 31, 1, 30));
            List<Instant> at = Arrays.asList(Instant.parse("2024-01-31T02:04:05.123456Z"), Instant.parse("2024-07-01T10:00:00Z"),
                    null, Instant.parse("2024-03-31T00:30:00Z"));
            LazyFrame f = sw.fromColumns(new LinkedHashMap<>(Map.of("ts", ts, "at", at)));
            assertEquals("Schema[at: timestamp(UTC), ts: timestamp]", f.select(col("at"), col("ts")).schema().toString());
            LazyFrame q = f.select(col("ts"), col("ts").year().alias("y"), col("ts").month().alias("mo"), col("ts").day().alias("d"),
                    col("ts").hour().alias("h"), col("ts").minute().alias("mi"), col("ts").second().alias("s"),
                    col("ts").plus(Period.ofMonths(1)).alias("next_month"),
                    col("ts").plus(Duration.ofMillis(1500)).minus(Duration.ofHours(2)).alias("shifted"),
                    col("ts").cast(DataType.UTF8).alias("text"), col("ts").cast(DataType.DATE32).alias("date"),
                    col("ts").cast(DataType.INT64).alias("micros"),
                    col("ts").ge(Expr.timestamp("2024-01-31 03:04:05.123456")).alias("ge"),
                    col("ts").lt(Expr.date("2000-01-01")).alias("before2000"),
                    col("at").castTimestamp("Europe/Berlin").alias("berlin"),
                    col("at").castTimestamp("Europe/Berlin").hour().alias("berlin_hour"),
                    col("at").gt(Expr.timestamp("2024-03-31 02:00", "Europe/Berlin")).alias("after"),
                    col("ts").isIn(List.of(LocalDateTime.of(2024, 3, 31, 1, 30))).alias("in"),
                    col("ts").between(Expr.date("1969-12-31"), Expr.timestamp("2024-02-01T00:00")).alias("btw"));
            assertEquals("Schema[ts: timestamp, y: int32, mo: int32, d: int32, h: int32, mi: int32, s: int32, next_month: timestamp, "
                    + "shifted: timestamp, text: utf8, date: date32, micros: int64, ge: boolean, before2000: boolean, "
                    + "berlin: timestamp(Europe/Berlin), berlin_hour: int32, after: boolean, in: boolean, btw: boolean]",
                    q.schema().toString());
            try (DataFrame df = q.collect()) {
                for (int r = 0; r < ts.size(); r++) {
                    LocalDateTime t = ts.get(r);
                    Instant a = at.get(r);
                    assertEquals(t, df.getLocalDateTime(r, "ts"));
                    assertEquals(t == null ? null : t.getYear(), df.get(r, "y"));
                    assertEquals(t == null ? null : t.getMonthValue(), df.get(r, "mo"));
                    assertEquals(t == null ? null : t.getDayOfMonth(), df.get(r, "d"));
                    assertEquals(t == null ? null : t.getHour(), df.get(r, "h"));
                    assertEquals(t == null ? null : t.getMinute(), df.get(r, "mi"));
                    assertEquals(t == null ? null : t.getSecond(), df.get(r, "s"));
                    assertEquals(t == null ? null : t.plusMonths(1), df.get(r, "next_month"));
                    assertEquals(t == null ? null : t.plusNanos(1_500_000_000L).minusHours(2), df.get(r, "shifted"));
                    assertEquals(t == null ? null : Timestamps.format(Timestamps.ofLocal(t), null), df.get(r, "text"));
                    assertEquals(t == null ? null : t.toLocalDate(), df.get(r, "date"));
                    assertEquals(t == null ? null : Timestamps.ofLocal(t), df.get(r, "micros"));
                    assertEquals(t == null ? null : !t.isBefore(ts.get(0)), df.get(r, "ge"));
                    assertEquals(t == null ? null : t.getYear() < 2000, df.get(r, "before2000"));
                    assertEquals(a, df.getInstant(r, "berlin"));
                    assertEquals(a == null ? null : a.atZone(ZoneId.of("Europe/Berlin")).getHour(), df.get(r, "berlin_hour"));
                    assertEquals(a == null ? null : a.isAfter(Instant.parse("2024-03-31T01:00:00Z")), df.get(r, "after"));
                    assertEquals(t == null ? null : t.equals(ts.get(3)), df.get(r, "in"));
                    assertEquals(t == null ? null : !t.isBefore(LocalDateTime.of(1969, 12, 31, 0, 0))
                            && !t.isAfter(LocalDateTime.of(2024, 2, 1, 0, 0)), df.get(r, "btw"));
                }
                assertEquals(LocalDateTime.of(2024, 2, 29, 3, 4, 5, 123_456_000), df.get(0, "next_month"), "clamped to Feb 29");
                assertEquals(LocalDateTime.of(2024, 1, 31, 3, 4, 5, 123_456_000), df.getLocalDateTime(0, "ts"));
                assertEquals(LocalDateTime.of(2024, 1, 31, 3, 4, 5, 123_456_000), df.getLocalDateTime(0, "berlin"), "wall clock");
                IllegalArgumentException naive = assertThrows(IllegalArgumentException.class, () -> df.getInstant(0, "ts"));
                assertTrue(naive.getMessage().contains("without a time zone"), naive.getMessage());
                String shown = df.toString();
                assertTrue(shown.contains("timestamp(Europe/Berlin)") && shown.contains("2024-01-31 03:04:05.123456")
                        && shown.contains("2024-07-01 12:00:00+02:00") && shown.contains("1969-12-31 23:59:59.999999"), shown);
            }
            try (DataFrame df = f.filter(col("at").ge(Expr.lit(Instant.parse("2024-03-01T00:00:00Z")))).select(col("at")).collect()) {
                assertEquals(Arrays.asList(at.get(1), at.get(3)), df.columnValues("at"));
            }
            PlanException sum = assertThrows(PlanException.class, () -> f.select(col("ts").sum()).schema());
            assertTrue(sum.getMessage().contains("sum() over a timestamp is not defined"), sum.getMessage());
            PlanException mean = assertThrows(PlanException.class, () -> f.select(col("at").mean()).schema());
            assertTrue(mean.getMessage().contains("mean() over a timestamp is not defined"), mean.getMessage());
            Throwable mixed = assertThrows(RuntimeException.class, () -> f.select(col("ts").lt(col("at"))).schema());
            assertTrue(mixed.getMessage().contains("without a time zone does not compare with one with a time zone"),
                    mixed.getMessage());
        });
    }

    @Test
    void csvParsesInfersAndReportsBadTimestamps() {
        EngineTestSupport.withEngine(64L << 20, (sw, dir) -> {
            Path csv = dir.resolve("t.csv");
            Files.writeString(csv, "id,local,utc,day\n1,2024-01-02 03:04:05.123456,2024-01-02T03:04:05Z,2024-01-02\n"
                    + "2,2024-01-02T03:04,2024-01-02 04:04:05.5+01:00,2024-01-03\n3,,,\n4,2024-01-02,2024-01-02 03:04:05-0130,2024-01-04\n");
            LazyFrame scan = sw.scanCsv(csv, CsvOptions.defaults());
            assertEquals("Schema[id: int64, local: timestamp, utc: timestamp(UTC), day: date32]", scan.schema().toString());
            try (DataFrame df = scan.collect()) {
                assertEquals(Arrays.asList(LocalDateTime.of(2024, 1, 2, 3, 4, 5, 123_456_000), LocalDateTime.of(2024, 1, 2, 3, 4), null,
                        LocalDateTime.of(2024, 1, 2, 0, 0)), df.columnValues("local"));
                assertEquals(Arrays.asList(Instant.parse("2024-01-02T03:04:05Z"), Instant.parse("2024-01-02T03:04:05.5Z"), null,
                        Instant.parse("2024-01-02T04:34:05Z")), df.columnValues("utc"));
            }
            // A mix of offsets and none stays text.
            Files.writeString(csv, "a\n2024-01-02 03:04:05Z\n2024-01-02 03:04:05\n");
            assertEquals("Schema[a: utf8]", sw.scanCsv(csv, CsvOptions.defaults()).schema().toString());
            // A zoned column reads text without an offset as wall-clock time in its zone.
            Schema berlin = Schema.of(Field.timestamp("t", "Europe/Berlin"));
            Files.writeString(csv, "t\n2024-07-01 12:00\n2024-07-01 12:00+00:00\n");
            try (DataFrame df = sw.scanCsv(csv, CsvOptions.defaults().withSchema(berlin)).collect()) {
                assertEquals(Arrays.asList(Instant.parse("2024-07-01T10:00:00Z"), Instant.parse("2024-07-01T12:00:00Z")),
                        df.columnValues("t"));
            }
            Schema s = Schema.of(Field.of("id", DataType.INT64), Field.timestamp("ts", null));
            Files.writeString(csv, "id,ts\n1,2024-01-02 03:04:05\n2,2024-01-02 3:04:05\n");
            CsvFormatException bad = csvError(() -> sw.scanCsv(csv, CsvOptions.defaults().withSchema(s)).collect().close());
            assertTrue(bad.getMessage().contains("t.csv:3: column 2 ('ts'): cannot parse as a timestamp")
                    && bad.getMessage().contains("'2024-01-02 3:04:05'")
                    && bad.getMessage().contains("yyyy-MM-dd[( |T)HH:mm[:ss[.fffffffff]]]"), bad.getMessage());
            Files.writeString(csv, "id,ts\n1,2024-01-02 03:04:05+01:00\n");
            CsvFormatException offset = csvError(() -> sw.scanCsv(csv, CsvOptions.defaults().withSchema(s)).collect().close());
            assertTrue(offset.getMessage().contains("t.csv:2: column 2 ('ts')")
                    && offset.getMessage().contains("only a column with a time zone can hold"), offset.getMessage());
        });
    }

    /** The CSV error a query failed with (the query wraps it, naming the pipeline). */
    private static CsvFormatException csvError(org.junit.jupiter.api.function.Executable query) {
        Throwable t = assertThrows(RuntimeException.class, query);
        while (t != null && !(t instanceof CsvFormatException)) {
            t = t.getCause();
        }
        assertTrue(t != null, "no CsvFormatException among the causes");
        return (CsvFormatException) t;
    }

    private static List<List<Object>> rows(Random rnd, int n, int domain, boolean right) {
        List<Instant> keys = new ArrayList<>();
        for (int i = 0; i < domain; i++) {
            keys.add(Timestamps.toInstant(RandomData.timestampMicros(rnd)));
        }
        List<List<Object>> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Instant k = rnd.nextInt(30) == 0 ? null : keys.get(rnd.nextInt(domain));
            Object v = rnd.nextInt(9) == 0 ? null
                    : right ? (Object) (long) rnd.nextInt(1000) : Timestamps.toLocal(RandomData.timestampMicros(rnd));
            rows.add(Arrays.asList(k, v));
        }
        return rows;
    }

    private static List<List<Object>> run(MemorySetting setting, LeakCheck.TestMemory mem, Spillway reader, Path leftCsv,
            List<List<Object>> left, Path rightCsv, List<List<Object>> right, Function<LazyFrame[], LazyFrame> query)
            throws Exception {
        return setting.withEngine(mem, null, sw -> {
            LazyFrame l = DifferentialSupport.input(sw, setting, LEFT, left, leftCsv);
            LazyFrame r = DifferentialSupport.input(sw, setting, RIGHT, right, rightCsv);
            return DifferentialSupport.result(query.apply(new LazyFrame[] {l, r}), setting, sw, Engine.IN_MEMORY, reader,
                    mem.dataDir().resolve("out-" + setting + ".csv"));
        });
    }

    private static final Comparator<LocalDateTime> NULLS_LAST = Comparator.nullsLast(Comparator.naturalOrder());

    @Test
    void sortTopKJoinAndGroupByOnTimestampsAgreeWithOraclesAtEveryMemorySetting() {
        for (long seed : new long[] {41, 42}) {
            DifferentialSupport.seeded(seed, (rnd, mem, reader) -> {
                int domain = 200 + rnd.nextInt(2000);
                List<List<Object>> left = rows(rnd, 6000, domain, false);
                List<List<Object>> right = rows(rnd, 3000, domain, true);
                Path leftCsv = mem.dataDir().resolve("l.csv");
                Path rightCsv = mem.dataDir().resolve("r.csv");
                reader.fromColumns(DifferentialSupport.columns(LEFT, left)).sinkCsv(leftCsv);
                reader.fromColumns(DifferentialSupport.columns(RIGHT, right)).sinkCsv(rightCsv);

                Map<Instant, List<Long>> rightByKey = new HashMap<>();
                for (List<Object> r : right) {
                    if (r.get(0) != null) {
                        rightByKey.computeIfAbsent((Instant) r.get(0), x -> new ArrayList<>()).add((Long) r.get(1));
                    }
                }
                List<List<Object>> joined = new ArrayList<>();
                Map<Instant, List<LocalDateTime>> groups = new LinkedHashMap<>();
                for (List<Object> l : left) {
                    Instant k = (Instant) l.get(0);
                    for (Long w : k == null ? List.<Long>of() : rightByKey.getOrDefault(k, List.of())) {
                        joined.add(Arrays.asList(k, l.get(1), w));
                    }
                    groups.computeIfAbsent(k, x -> new ArrayList<>()).add((LocalDateTime) l.get(1));
                }
                List<List<Object>> grouped = new ArrayList<>();
                groups.forEach((k, vs) -> {
                    List<LocalDateTime> present = vs.stream().filter(v -> v != null).toList();
                    grouped.add(Arrays.asList(k, (long) vs.size(), (long) present.size(),
                            present.stream().min(Comparator.naturalOrder()).orElse(null),
                            present.stream().max(Comparator.naturalOrder()).orElse(null)));
                });
                List<LocalDateTime> values = new ArrayList<>(left.stream().map(r -> (LocalDateTime) r.get(1)).toList());
                values.sort(Comparator.nullsLast(Comparator.<LocalDateTime>reverseOrder()));
                List<LocalDateTime> top = values.subList(0, 25);

                for (MemorySetting s : SETTINGS) {
                    List<List<Object>> sorted = run(s, mem, reader, leftCsv, left, rightCsv, right, f -> f[0].sort("v", "k"));
                    DifferentialSupport.assertSameRows(left, sorted, s + " sort rows");
                    for (int i = 1; i < sorted.size(); i++) {
                        assertTrue(NULLS_LAST.compare((LocalDateTime) sorted.get(i - 1).get(1), (LocalDateTime) sorted.get(i).get(1)) <= 0,
                                s + ": " + sorted.get(i - 1) + " sorted before " + sorted.get(i));
                    }
                    List<List<Object>> topK = run(s, mem, reader, leftCsv, left, rightCsv, right,
                            f -> f[0].topK(25, SortKey.desc("v").nullsLast()));
                    assertEquals(top, topK.stream().map(r -> (LocalDateTime) r.get(1)).toList(), s + " top-k");
                    DifferentialSupport.assertSameRows(joined, run(s, mem, reader, leftCsv, left, rightCsv, right,
                            f -> f[0].join(f[1], "k", JoinType.INNER)), s + " join");
                    DifferentialSupport.assertSameRows(grouped, run(s, mem, reader, leftCsv, left, rightCsv, right,
                            f -> f[0].groupBy("k").agg(Expr.rowCount().alias("n"), col("v").count().alias("c"),
                                    col("v").min().alias("lo"), col("v").max().alias("hi"))), s + " group-by");
                }
            });
        }
    }

    @Test
    void groupByKeepsTheZoneOfMinMaxFirstAndLast() {
        EngineTestSupport.withEngine(64L << 20, (sw, dir) -> {
            LazyFrame f = sw.fromColumns(new LinkedHashMap<>(Map.of("g", List.of(1L, 1L, 2L),
                    "at", Arrays.asList(Instant.parse("2024-01-01T00:00:00Z"), Instant.parse("2023-01-01T00:00:00Z"), null))))
                    .select(col("g"), col("at").castTimestamp("Asia/Tokyo").alias("at"));
            LazyFrame q = f.groupBy("g").agg(col("at").min().alias("lo"), col("at").max().alias("hi"),
                    col("at").first().alias("first"), col("at").last().alias("last"), col("at").nUnique().alias("nu")).sort("g");
            assertEquals("Schema[g: int64, lo: timestamp(Asia/Tokyo), hi: timestamp(Asia/Tokyo), first: timestamp(Asia/Tokyo), "
                    + "last: timestamp(Asia/Tokyo), nu: int64]", q.schema().toString());
            try (DataFrame df = q.collect()) {
                assertEquals(Arrays.asList(1L, Instant.parse("2023-01-01T00:00:00Z"), Instant.parse("2024-01-01T00:00:00Z"),
                        Instant.parse("2024-01-01T00:00:00Z"), Instant.parse("2023-01-01T00:00:00Z"), 2L), df.rows().get(0));
                assertEquals(Arrays.asList(2L, null, null, null, null, 0L), df.rows().get(1));
                assertTrue(df.toString().contains("2023-01-01 09:00:00+09:00"), df.toString());
            }
        });
    }

    private static Map<String, Object> mixedColumns(Random rnd, int n) {
        List<Object> naive = new ArrayList<>();
        List<Object> utc = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            naive.add(rnd.nextInt(8) == 0 ? null : Timestamps.toLocal(RandomData.timestampMicros(rnd)));
            utc.add(rnd.nextInt(8) == 0 ? null : Timestamps.toInstant(RandomData.timestampMicros(rnd)));
        }
        Map<String, Object> cols = new LinkedHashMap<>();
        cols.put("naive", naive);
        cols.put("utc", utc);
        return cols;
    }

    @Test
    void csvParquetAndIpcRoundTripTimestampsWithNulls() {
        DifferentialSupport.seeded(51, (rnd, mem, sw) -> {
            LazyFrame src = sw.fromColumns(mixedColumns(rnd, 3000)).select(col("naive"), col("utc"),
                    col("utc").castTimestamp("America/New_York").alias("ny"));
            assertEquals("Schema[naive: timestamp, utc: timestamp(UTC), ny: timestamp(America/New_York)]", src.schema().toString());
            Path csv = mem.dataDir().resolve("t.csv");
            Path parquet = mem.dataDir().resolve("t.parquet");
            Path ipc = mem.dataDir().resolve("t.arrow");
            src.sinkCsv(csv);
            src.sinkParquet(parquet);
            src.sinkIpc(ipc);
            try (DataFrame expected = src.collect();
                    DataFrame fromCsv = sw.scanCsv(csv, CsvOptions.defaults().withSchema(src.schema())).collect();
                    DataFrame fromParquet = sw.scanParquet(parquet).collect();
                    DataFrame fromIpc = sw.scanIpc(ipc).collect()) {
                assertEquals(expected.schema(), fromIpc.schema(), "IPC keeps the zone");
                // Parquet has no zone, only isAdjustedToUTC: instants come back in UTC.
                assertEquals("Schema[naive: timestamp, utc: timestamp(UTC), ny: timestamp(UTC)]", fromParquet.schema().toString());
                assertEquals(expected.rows(), fromCsv.rows());
                assertEquals(expected.rows(), fromParquet.rows());
                assertEquals(expected.rows(), fromIpc.rows());
                assertTrue(expected.rows().stream().anyMatch(r -> r.get(0) == null) && expected.rows().stream().anyMatch(r -> r.get(1) == null));
            }
            // DuckDB reads what was written: types, and every value as microseconds since the epoch.
            try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement st = db.createStatement();
                    ResultSet rs = st.executeQuery("SELECT typeof(naive), typeof(utc), epoch_us(naive), epoch_us(utc) FROM read_parquet('"
                            + parquet + "')");
                    DataFrame df = sw.scanParquet(parquet).select(col("naive").cast(DataType.INT64).alias("n"),
                            col("utc").cast(DataType.INT64).alias("u")).collect()) {
                int r = 0;
                while (rs.next()) {
                    if (r == 0) {
                        assertEquals("TIMESTAMP", rs.getString(1));
                        assertEquals("TIMESTAMP WITH TIME ZONE", rs.getString(2));
                    }
                    assertEquals(df.get(r, "n"), rs.getObject(3) == null ? null : rs.getLong(3), "naive of row " + r);
                    assertEquals(df.get(r, "u"), rs.getObject(4) == null ? null : rs.getLong(4), "utc of row " + r);
                    r++;
                }
                assertEquals(df.rowCount(), r);
            }
        });
    }

    @Test
    void readsTimestampsThatDuckDbWrote() {
        DifferentialSupport.seeded(61, (rnd, mem, sw) -> {
            Path file = mem.dataDir().resolve("duck.parquet");
            try (Connection db = DriverManager.getConnection("jdbc:duckdb:")) {
                try (Statement st = db.createStatement()) {
                    st.execute("SET TimeZone = 'UTC'");
                    st.execute("COPY (SELECT i::BIGINT AS id,"
                            + " CASE WHEN i % 7 = 3 THEN NULL ELSE TIMESTAMP '1970-01-01' + to_microseconds((i - 2500) * 987654321987) END AS ts,"
                            + " CASE WHEN i % 5 = 1 THEN NULL ELSE (TIMESTAMP '2000-01-01' + to_microseconds(i * 3600000123))::TIMESTAMPTZ END AS tstz,"
                            + " CASE WHEN i % 6 = 2 THEN NULL ELSE (TIMESTAMP '1960-06-15 12:00' + to_milliseconds(i * 86400123))::TIMESTAMP_MS END AS ts_ms,"
                            + " CASE WHEN i % 4 = 0 THEN NULL ELSE make_timestamp_ns((i - 2500) * 1234567890123457) END AS ts_ns"
                            + " FROM range(5000) t(i)) TO '" + file + "' (FORMAT PARQUET)");
                }
                Map<Long, List<Object>> expected = new HashMap<>();
                try (Statement st = db.createStatement();
                        ResultSet rs = st.executeQuery("SELECT id, epoch_us(ts), epoch_us(tstz), epoch_ms(ts_ms), epoch_ns(ts_ns)"
                                + " FROM read_parquet('" + file + "')")) {
                    while (rs.next()) {
                        expected.put(rs.getLong(1), Arrays.asList(micros(rs, 2, 1), micros(rs, 3, 1), micros(rs, 4, 1000),
                                rs.getObject(5) == null ? null : Math.floorDiv(rs.getLong(5), 1000L)));
                    }
                }
                LazyFrame scan = sw.scanParquet(file);
                assertEquals("Schema[id: int64, ts: timestamp, tstz: timestamp(UTC), ts_ms: timestamp, ts_ns: timestamp]",
                        scan.schema().toString());
                try (DataFrame df = scan.select(col("id"), col("ts").cast(DataType.INT64).alias("ts"),
                        col("tstz").cast(DataType.INT64).alias("tstz"), col("ts_ms").cast(DataType.INT64).alias("ts_ms"),
                        col("ts_ns").cast(DataType.INT64).alias("ts_ns")).collect()) {
                    assertEquals(expected.size(), df.rowCount());
                    int nulls = 0;
                    for (long r = 0; r < df.rowCount(); r++) {
                        List<Object> e = expected.get(df.getLong(r, "id"));
                        assertEquals(e.get(0), df.get(r, "ts"), "ts of row " + r);
                        assertEquals(e.get(1), df.get(r, "tstz"), "tstz of row " + r);
                        assertEquals(e.get(2), df.get(r, "ts_ms"), "ts_ms of row " + r);
                        assertEquals(e.get(3), df.get(r, "ts_ns"), "ts_ns of row " + r);
                        nulls += e.contains(null) ? 1 : 0;
                    }
                    assertTrue(nulls > 1000, "nulls in every column: " + nulls);
                }
                // The values as java.time, also through DuckDB's text rendering of a naive timestamp.
                try (Statement st = db.createStatement();
                        ResultSet rs = st.executeQuery("SELECT id, strftime(ts, '%Y-%m-%d %H:%M:%S.%f') FROM read_parquet('" + file
                                + "') WHERE ts IS NOT NULL ORDER BY id LIMIT 50");
                        DataFrame df = scan.filter(col("ts").isNotNull()).sort("id").limit(50).collect()) {
                    for (int r = 0; rs.next(); r++) {
                        assertEquals(rs.getLong(1), df.getLong(r, "id"));
                        assertEquals(LocalDateTime.parse(rs.getString(2).replace(' ', 'T')), df.getLocalDateTime(r, "ts"));
                    }
                }
            }
        });
    }

    private static Long micros(ResultSet rs, int column, long factor) throws java.sql.SQLException {
        return rs.getObject(column) == null ? null : rs.getLong(column) * factor;
    }

    @Test
    void readsLegacyInt96Timestamps() {
        DifferentialSupport.seeded(71, (rnd, mem, sw) -> {
            List<Long> expected = new ArrayList<>();
            List<long[]> int96 = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                if (rnd.nextInt(6) == 0) {
                    expected.add(null);
                    int96.add(null);
                    continue;
                }
                long micros = RandomData.timestampMicros(rnd);
                long subMicro = rnd.nextInt(1000);
                expected.add(micros);
                int96.add(new long[] {Math.floorMod(micros, Timestamps.MICROS_PER_DAY) * 1000 + subMicro,
                    Math.floorDiv(micros, Timestamps.MICROS_PER_DAY) + 2_440_588});
            }
            Path file = mem.dataDir().resolve("int96.parquet");
            Files.write(file, Int96File.bytes("ts", int96));
            LazyFrame scan = sw.scanParquet(file);
            assertEquals("Schema[ts: timestamp]", scan.schema().toString());
            try (DataFrame df = scan.select(col("ts").cast(DataType.INT64).alias("us")).collect()) {
                assertEquals(expected, df.columnValues("us"));
            }
        });
    }

    /**
     * A Parquet file with one OPTIONAL INT96 column, as Impala and Spark write timestamps: per value
     * 8 little-endian bytes of nanoseconds in the day and 4 of the Julian day (no writer at hand
     * produces INT96, so the test encodes the file, Thrift compact protocol included).
     */
    private static final class Int96File {
        private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        private final java.util.ArrayDeque<Integer> lastField = new java.util.ArrayDeque<>(List.of(0));

        static byte[] bytes(String name, List<long[]> values) {
            int n = values.size();
            java.nio.ByteBuffer page = java.nio.ByteBuffer.allocate(4 + 8 + (n + 7) / 8 + 12 * n)
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            Int96File levels = new Int96File();
            levels.varint(((long) (n + 7) / 8) << 1 | 1); // one bit-packed run of definition levels
            byte[] bits = new byte[(n + 7) / 8];
            for (int i = 0; i < n; i++) {
                bits[i >> 3] |= (byte) (values.get(i) == null ? 0 : 1 << (i & 7));
            }
            levels.out.writeBytes(bits);
            byte[] lv = levels.out.toByteArray();
            page.putInt(lv.length).put(lv);
            for (long[] v : values) {
                if (v != null) {
                    page.putLong(v[0]).putInt((int) v[1]);
                }
            }
            byte[] data = java.util.Arrays.copyOf(page.array(), page.position());
            Int96File header = new Int96File();
            header.i32(1, 0);
            header.i32(2, data.length);
            header.i32(3, data.length);
            header.begin(5, 12);
            header.i32(1, n);
            header.i32(2, 0);
            header.i32(3, 3);
            header.i32(4, 3);
            header.end();
            header.out.write(0);
            byte[] h = header.out.toByteArray();
            long chunk = h.length + data.length;
            Int96File meta = new Int96File();
            meta.i32(1, 1);
            meta.listHeader(2, 12, 2);
            meta.push();
            meta.binary(4, "schema".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            meta.i32(5, 1);
            meta.end();
            meta.push();
            meta.i32(1, 3); // INT96
            meta.i32(3, 1); // OPTIONAL
            meta.binary(4, name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            meta.end();
            meta.i64(3, n);
            meta.listHeader(4, 12, 1);
            meta.push();
            meta.listHeader(1, 12, 1);
            meta.push();
            meta.i64(2, 4);
            meta.begin(3, 12);
            meta.i32(1, 3);
            meta.listHeader(2, 5, 2);
            meta.varint(0);
            meta.varint(6); // zigzag(3): RLE
            meta.listHeader(3, 8, 1);
            meta.rawBinary(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            meta.i32(4, 0);
            meta.i64(5, n);
            meta.i64(6, chunk);
            meta.i64(7, chunk);
            meta.i64(9, 4);
            meta.end();
            meta.end();
            meta.i64(2, chunk);
            meta.i64(3, n);
            meta.end();
            meta.out.write(0);
            byte[] footer = meta.out.toByteArray();
            java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
            byte[] magic = "PAR1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            file.writeBytes(magic);
            file.writeBytes(h);
            file.writeBytes(data);
            file.writeBytes(footer);
            file.writeBytes(java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(footer.length).array());
            file.writeBytes(magic);
            return file.toByteArray();
        }

        private void field(int id, int type) {
            int delta = id - lastField.peek();
            if (delta > 0 && delta <= 15) {
                out.write(delta << 4 | type);
            } else {
                out.write(type);
                varint((long) id << 1 ^ id >> 31);
            }
            lastField.pop();
            lastField.push(id);
        }

        private void varint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) (v & 0x7F) | 0x80);
                v >>>= 7;
            }
            out.write((int) v);
        }

        private void i32(int id, int v) {
            field(id, 5);
            varint((long) v << 1 ^ v >> 31);
        }

        private void i64(int id, long v) {
            field(id, 6);
            varint(v << 1 ^ v >> 63);
        }

        private void binary(int id, byte[] v) {
            field(id, 8);
            rawBinary(v);
        }

        private void rawBinary(byte[] v) {
            varint(v.length);
            out.writeBytes(v);
        }

        private void listHeader(int id, int elementType, int size) {
            field(id, 9);
            out.write(size << 4 | elementType);
        }

        /** A struct field: its header, then a new field-id scope. */
        private void begin(int id, int type) {
            field(id, type);
            push();
        }

        /** A struct (a list element or a field's value) starts: a new field-id scope. */
        private void push() {
            lastField.push(0);
        }

        private void end() {
            out.write(0);
            lastField.pop();
        }
    }

    @Test
    void dateArithmeticStillGivesDates() {
        EngineTestSupport.withEngine(64L << 20, (sw, dir) -> {
            LazyFrame f = sw.fromColumns(Map.of("d", List.of(LocalDate.of(2024, 1, 31))));
            try (DataFrame df = f.select(col("d").plus(Period.ofMonths(1)).alias("p"),
                    col("d").plus(Duration.ofHours(36)).alias("t")).collect()) {
                assertEquals("Schema[p: date32, t: timestamp]", df.schema().toString());
                assertEquals(LocalDate.of(2024, 2, 29), df.get(0, "p"));
                assertEquals(LocalDateTime.of(2024, 2, 1, 12, 0), df.get(0, "t"));
            }
            assertNull(Expr.Literal.zoneOf(LocalDateTime.of(2024, 1, 1, 0, 0).truncatedTo(ChronoUnit.DAYS)));
        });
    }
}
