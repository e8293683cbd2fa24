package dev.spillway;

import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.memory.testing.RandomData;
import dev.spillway.errors.CsvFormatException;
import dev.spillway.options.CsvOptions;
import dev.spillway.options.JoinType;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import static dev.spillway.Expr.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * decimal(p, s) end to end: schemas and printing, expressions in queries, sort, join and group-by
 * keys against java.util oracles at every memory setting (spilling must not change a result),
 * CSV, Parquet (also DuckDB-written) and Arrow IPC round trips.
 */
class DecimalTest {
    private static final List<MemorySetting> SETTINGS = MemorySetting.three(64L << 20, 4096, 12L << 20, 1024);
    private static final DecimalType KEY = DecimalType.of(20, 2);
    private static final Schema LEFT = Schema.of(Field.of("k", DataType.DECIMAL128, KEY), Field.of("v", DataType.INT64));
    private static final Schema RIGHT = Schema.of(Field.of("k", DataType.DECIMAL128, KEY), Field.of("w", DataType.INT64));

    @Test
    void schemasPrintingAndCollectedValues() {
        EngineTestSupport.withEngine(64L << 20, (sw, dir) -> {
            List<BigDecimal> prices = Arrays.asList(new BigDecimal("19.99"), null, new BigDecimal("-0.50"), new BigDecimal("1234.5"));
            LazyFrame f = sw.fromColumns(Map.of("price", prices));
            assertEquals("Schema[price: decimal(6,2)]", f.schema().toString());
            LazyFrame q = f.select(col("price"), col("price").times(Expr.lit(2L)).alias("twice"),
                    col("price").plus(Expr.decimal("0.005")).alias("plus"), col("price").cast(DataType.FLOAT64).alias("f"),
                    col("price").gt(Expr.decimal("1")).alias("big"));
            assertEquals("Schema[price: decimal(6,2), twice: decimal(7,2), plus: decimal(8,3), f: float64, big: boolean]",
                    q.schema().toString());
            try (DataFrame df = q.collect()) {
                for (int r = 0; r < prices.size(); r++) {
                    BigDecimal p = prices.get(r);
                    assertEquals(p == null ? null : p.setScale(2), df.getBigDecimal(r, "price"));
                    assertEquals(p == null ? null : p.multiply(BigDecimal.TWO).setScale(2), df.get(r, "twice"));
                    assertEquals(p == null ? null : p.add(new BigDecimal("0.005")), df.get(r, "plus"));
                    assertEquals(p == null ? null : p.doubleValue(), df.get(r, "f"));
                    assertEquals(p == null ? null : p.compareTo(BigDecimal.ONE) > 0, df.get(r, "big"));
                }
                String shown = df.toString();
                assertTrue(shown.contains("decimal(6,2)") && shown.contains("1234.50") && shown.contains("-0.50"), shown);
            }
            LazyFrame aggs = f.select(col("price").sum().alias("s"), col("price").mean().alias("m"), col("price").min().alias("lo"),
                    col("price").last().alias("z"), col("price").count().alias("n"), col("price").nUnique().alias("u"));
            assertEquals("Schema[s: decimal(38,2), m: decimal(38,6), lo: decimal(6,2), z: decimal(6,2), n: int64, u: int64]",
                    aggs.schema().toString());
        });
    }

    @Test
    void globalAggregatesAgreeWithBigDecimalsWithAndWithoutSpilling() {
        Random rnd = new Random(31);
        DecimalType money = DecimalType.of(15, 2);
        List<BigDecimal> vals = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            vals.add(rnd.nextInt(10) == 0 ? null : RandomData.decimal(money, rnd));
        }
        List<BigDecimal> nonNull = vals.stream().filter(v -> v != null).toList();
        BigDecimal sum = nonNull.stream().reduce(BigDecimal.ZERO, BigDecimal::add);
        List<Object> expected = Arrays.asList(sum, sum.divide(BigDecimal.valueOf(nonNull.size()), 6, java.math.RoundingMode.HALF_UP),
                nonNull.stream().min(BigDecimal::compareTo).orElseThrow(), nonNull.stream().max(BigDecimal::compareTo).orElseThrow(),
                vals.getFirst(), vals.getLast(), (long) nonNull.size(), (long) new java.util.HashSet<>(nonNull).size());
        for (MemorySetting setting : List.of(MemorySetting.NO_CAP, SETTINGS.getLast())) {
            EngineTestSupport.withEngine(setting.cap(), b -> b.morselRows(setting.morselRows()).forceSpill(setting.forceSpill()),
                    (sw, dir) -> {
                        LazyFrame f = sw.fromColumns(Map.of("m", vals)).select(col("m").cast(money).alias("m"));
                        LazyFrame q = f.select(col("m").sum().alias("s"), col("m").mean().alias("avg"), col("m").min().alias("lo"),
                                col("m").max().alias("hi"), col("m").first().alias("a"), col("m").last().alias("z"),
                                col("m").count().alias("n"), col("m").nUnique().alias("u"));
                        assertEquals("Schema[s: decimal(38,2), avg: decimal(38,6), lo: decimal(15,2), hi: decimal(15,2), "
                                + "a: decimal(15,2), z: decimal(15,2), n: int64, u: int64]", q.schema().toString());
                        try (DataFrame df = q.collect()) {
                            assertEquals(expected, df.row(0), setting.toString());
                        }
                        // No rows: sum, mean and the extremes are null, the counts zero.
                        try (DataFrame df = f.filter(col("m").gt(Expr.decimal("1e20"))).select(col("m").sum(), col("m").mean().alias("a"),
                                col("m").max().alias("x"), col("m").count().alias("n")).collect()) {
                            assertEquals(Arrays.asList(null, null, null, 0L), df.row(0), setting.toString());
                        }
                    });
        }
    }

    @Test
    void aDecimalSumBeyondThirtyEightDigitsFailsNamingTheAggregate() {
        BigDecimal big = new BigDecimal("60000000000000000000000000000000000000");
        List<BigDecimal> vals = List.of(big, big, BigDecimal.ONE);
        for (MemorySetting setting : List.of(MemorySetting.NO_CAP, SETTINGS.getLast())) {
            EngineTestSupport.withEngine(setting.cap(), b -> b.morselRows(1).forceSpill(setting.forceSpill()), (sw, dir) -> {
                LazyFrame f = sw.fromColumns(Map.of("k", List.of(1L, 1L, 2L), "big", vals));
                // The global sum is 2 × 6e37 + 1; the group-by's group 1 holds 2 × 6e37.
                Map<LazyFrame, String> sums = Map.of(f.select(col("big").sum().alias("total")), "120000000000000000000000000000000000001",
                        f.groupBy("k").agg(col("big").sum().alias("total")), "120000000000000000000000000000000000000");
                for (Map.Entry<LazyFrame, String> sum : sums.entrySet()) {
                    LazyFrame q = sum.getKey();
                    RuntimeException e = assertThrows(RuntimeException.class, () -> q.collect().close());
                    Throwable t = e;
                    while (t != null && !(t instanceof dev.spillway.errors.ExprEvaluationException)) {
                        t = t.getCause();
                    }
                    assertTrue(t != null, "no ExprEvaluationException among the causes of " + e);
                    assertEquals("overflow in col(\"big\").sum().alias(\"total\"): the sum " + sum.getValue()
                            + " does not fit decimal(38,0) (at most 38 digits before the decimal point)", t.getMessage());
                }
            });
        }
    }

    @Test
    void isInComparesDecimalsExactly() {
        EngineTestSupport.withEngine(64L << 20, (sw, dir) -> {
            List<BigDecimal> prices = Arrays.asList(new BigDecimal("19.99"), new BigDecimal("5.50"), null, new BigDecimal("7.00"),
                    new BigDecimal("1.25"), new BigDecimal("-0.01"), new BigDecimal("0.00"));
            LazyFrame f = sw.fromColumns(Map.of("p", prices)).select(col("p").cast(DecimalType.of(6, 2)).alias("p"));
            try (DataFrame df = f.select(col("p").isIn(new BigDecimal("19.990"), "5.5", 7L, 1.25, "-1E-2", "0.001", 0).alias("in"),
                    col("p").isIn(new BigDecimal("5.50"), null).alias("orNull"), col("p").isIn(new BigDecimal("1e10")).alias("big"))
                    .collect()) {
                assertEquals(Arrays.asList(true, true, null, true, true, true, true), df.columnValues("in"));
                assertEquals(Arrays.asList(null, true, null, null, null, null, null), df.columnValues("orNull"));
                assertEquals(Arrays.asList(false, false, null, false, false, false, false), df.columnValues("big"));
            }
            try (DataFrame df = f.filter(col("p").isIn(new BigDecimal("0.001"), 5.51, "19.99")).collect()) {
                assertEquals(List.of(new BigDecimal("19.99")), df.columnValues("p"));
            }
            RuntimeException bad = assertThrows(RuntimeException.class, () -> f.select(col("p").isIn("abc")).schema());
            assertTrue(bad.getMessage().contains("cannot apply is_in to decimal(6,2) with the string \"abc\"")
                    && bad.getMessage().contains("not a decimal number"), bad.getMessage());
            bad = assertThrows(RuntimeException.class, () -> f.select(col("p").isIn(java.time.LocalDate.of(2020, 1, 1))).schema());
            assertTrue(bad.getMessage().contains("the values must be numbers (Integer, Long, BigDecimal, Double), decimal strings or null"),
                    bad.getMessage());
        });
    }

    @Test
    void csvParsesRoundsAndReportsBadDecimals() {
        EngineTestSupport.withEngine(64L << 20, (sw, dir) -> {
            Schema s = Schema.of(Field.of("id", DataType.INT64), Field.of("amount", DataType.DECIMAL128, DecimalType.of(15, 2)));
            Path csv = dir.resolve("d.csv");
            Files.writeString(csv, "id,amount\n1,12.345\n2,-0.004\n3,\n4,9999999999999.99\n5,1e2\n");
            try (DataFrame df = sw.scanCsv(csv, CsvOptions.defaults().withSchema(s)).collect()) {
                assertEquals(Arrays.asList(new BigDecimal("12.35"), new BigDecimal("0.00"), null, new BigDecimal("9999999999999.99"),
                        new BigDecimal("100.00")), df.columnValues("amount"));
            }
            Files.writeString(csv, "id,amount\n1,12.5\n2,12.x\n");
            CsvFormatException bad = csvError(() -> sw.scanCsv(csv, CsvOptions.defaults().withSchema(s)).collect().close());
            assertTrue(bad.getMessage().contains("d.csv:3: column 2 ('amount'): cannot parse as a decimal(15,2)")
                    && bad.getMessage().contains("'12.x'")
                    && bad.getMessage().contains("decimal(15,2)"), bad.getMessage());
            Files.writeString(csv, "id,amount\n1,12345678901234.5\n");
            CsvFormatException big = csvError(() -> sw.scanCsv(csv, CsvOptions.defaults().withSchema(s)).collect().close());
            assertTrue(big.getMessage().contains("too many digits before the decimal point (at most 13)"), big.getMessage());
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

    private static List<List<Object>> rows(Random rnd, int n, int domain) {
        List<BigDecimal> keys = new ArrayList<>();
        for (int i = 0; i < domain; i++) {
            keys.add(RandomData.decimal(KEY, rnd));
        }
        List<List<Object>> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            BigDecimal k = rnd.nextInt(30) == 0 ? null : keys.get(rnd.nextInt(domain));
            rows.add(Arrays.asList(k, rnd.nextInt(9) == 0 ? null : (long) rnd.nextInt(2_000_001) - 1_000_000));
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

    @Test
    void sortJoinAndGroupByOnDecimalKeysAgreeWithOraclesAtEveryMemorySetting() {
        for (long seed : new long[] {11, 12}) {
            DifferentialSupport.seeded(seed, (rnd, mem, reader) -> {
                int domain = 200 + rnd.nextInt(2000);
                List<List<Object>> left = rows(rnd, 6000, domain);
                List<List<Object>> right = rows(rnd, 3000, domain);
                Path leftCsv = mem.dataDir().resolve("l.csv");
                Path rightCsv = mem.dataDir().resolve("r.csv");
                reader.fromColumns(DifferentialSupport.columns(LEFT, left)).sinkCsv(leftCsv);
                reader.fromColumns(DifferentialSupport.columns(RIGHT, right)).sinkCsv(rightCsv);

                Map<BigDecimal, List<Long>> rightByKey = new HashMap<>();
                for (List<Object> r : right) {
                    if (r.get(0) != null) {
                        rightByKey.computeIfAbsent((BigDecimal) r.get(0), x -> new ArrayList<>()).add((Long) r.get(1));
                    }
                }
                List<List<Object>> joined = new ArrayList<>();
                Map<BigDecimal, long[]> groups = new LinkedHashMap<>();
                for (List<Object> l : left) {
                    BigDecimal k = (BigDecimal) l.get(0);
                    for (Long w : k == null ? List.<Long>of() : rightByKey.getOrDefault(k, List.of())) {
                        joined.add(Arrays.asList(k, l.get(1), w));
                    }
                    long[] g = groups.computeIfAbsent(k, x -> new long[2]);
                    g[0]++;
                    g[1] += l.get(1) == null ? 0 : 1;
                }
                List<List<Object>> grouped = new ArrayList<>();
                groups.forEach((k, g) -> grouped.add(Arrays.asList(k, g[0], g[1])));

                for (MemorySetting s : SETTINGS) {
                    List<List<Object>> sorted = run(s, mem, reader, leftCsv, left, rightCsv, right, f -> f[0].sort("k", "v"));
                    DifferentialSupport.assertSameRows(left, sorted, s + " sort rows");
                    assertKeysOrdered(sorted, s);
                    DifferentialSupport.assertSameRows(joined, run(s, mem, reader, leftCsv, left, rightCsv, right,
                            f -> f[0].join(f[1], "k", JoinType.INNER)), s + " join");
                    DifferentialSupport.assertSameRows(grouped, run(s, mem, reader, leftCsv, left, rightCsv, right,
                            f -> f[0].groupBy("k").agg(Expr.rowCount().alias("n"), col("v").count().alias("c"))), s + " group-by");
                }
            });
        }
    }

    /** Non-null keys ascend; the nulls sit together at one end. */
    private static void assertKeysOrdered(List<List<Object>> rows, MemorySetting s) {
        BigDecimal prev = null;
        int nullRuns = 0;
        boolean inNulls = false;
        for (List<Object> r : rows) {
            BigDecimal k = (BigDecimal) r.get(0);
            if (k == null) {
                nullRuns += inNulls ? 0 : 1;
                inNulls = true;
                continue;
            }
            inNulls = false;
            assertTrue(prev == null || prev.compareTo(k) <= 0, s + ": " + prev + " sorted before " + k);
            prev = k;
        }
        assertTrue(nullRuns <= 1, s + ": nulls are not together");
    }

    private static Map<String, Object> mixedColumns(Random rnd, int n) {
        Map<String, Object> cols = new LinkedHashMap<>();
        for (DecimalType t : List.of(DecimalType.of(9, 2), DecimalType.of(18, 4), DecimalType.of(38, 10), DecimalType.of(25, 0))) {
            List<BigDecimal> vals = new ArrayList<>();
            BigDecimal widest = new BigDecimal(DecimalType.pow10(t.precision()).subtract(java.math.BigInteger.ONE), t.scale());
            vals.add(widest);
            vals.add(widest.negate());
            for (int i = 2; i < n; i++) {
                vals.add(rnd.nextInt(10) == 0 ? null : RandomData.decimal(t, rnd));
            }
            cols.put("d" + t.precision() + "_" + t.scale(), vals);
        }
        return cols;
    }

    @Test
    void parquetAndIpcRoundTripDecimalsOfEveryWidth() {
        DifferentialSupport.seeded(21, (rnd, mem, sw) -> {
            LazyFrame src = sw.fromColumns(mixedColumns(rnd, 3000));
            assertEquals("Schema[d9_2: decimal(9,2), d18_4: decimal(18,4), d38_10: decimal(38,10), d25_0: decimal(25,0)]",
                    src.schema().toString());
            Path parquet = mem.dataDir().resolve("d.parquet");
            Path ipc = mem.dataDir().resolve("d.arrow");
            src.sinkParquet(parquet);
            src.sinkIpc(ipc);
            try (DataFrame expected = src.collect(); DataFrame fromParquet = sw.scanParquet(parquet).collect();
                    DataFrame fromIpc = sw.scanIpc(ipc).collect()) {
                assertEquals(expected.schema(), fromParquet.schema());
                assertEquals(expected.schema(), fromIpc.schema());
                assertEquals(expected.rows(), fromParquet.rows());
                assertEquals(expected.rows(), fromIpc.rows());
            }
            try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement st = db.createStatement();
                    ResultSet rs = st.executeQuery("SELECT sum(d9_2), sum(d18_4), count(d38_10), max(d38_10) FROM read_parquet('"
                            + parquet + "')")) {
                rs.next();
                try (DataFrame df = sw.scanParquet(parquet).collect()) {
                    assertEquals(sum(df.columnValues("d9_2")), rs.getBigDecimal(1).setScale(2));
                    assertEquals(sum(df.columnValues("d18_4")), rs.getBigDecimal(2).setScale(4));
                    assertEquals(df.columnValues("d38_10").stream().filter(v -> v != null).count(), rs.getLong(3));
                    assertEquals(0, ((BigDecimal) df.get(0, "d38_10")).compareTo(rs.getBigDecimal(4)));
                }
            }
        });
    }

    @Test
    void parquetRowGroupStatisticsOfDecimalsCompareByValue() {
        // Quantities 1.00 .. 50.00: unscaled statistics 100 .. 5000, which must not be taken for the values.
        DifferentialSupport.seeded(22, (rnd, mem, sw) -> {
            List<BigDecimal> qty = new ArrayList<>();
            for (int i = 0; i < 5000; i++) {
                qty.add(BigDecimal.valueOf(1 + rnd.nextInt(50)).setScale(2));
            }
            Path parquet = mem.dataDir().resolve("q.parquet");
            for (DecimalType t : List.of(DecimalType.of(9, 2), DecimalType.of(15, 2), DecimalType.of(30, 2))) {
                sw.fromColumns(Map.of("q", qty)).select(col("q").cast(t).alias("q")).sinkParquet(parquet);
                Map<Expr, Long> filters = new LinkedHashMap<>();
                filters.put(col("q").lt(Expr.lit(24L)), qty.stream().filter(q -> q.compareTo(BigDecimal.valueOf(24)) < 0).count());
                filters.put(col("q").ge(Expr.lit(49.5)), qty.stream().filter(q -> q.compareTo(new BigDecimal("49.5")) >= 0).count());
                filters.put(col("q").gt(Expr.lit(60)), 0L);
                filters.put(col("q").between(Expr.decimal("0.5"), Expr.decimal("1.00")),
                        qty.stream().filter(q -> q.compareTo(BigDecimal.ONE) == 0).count());
                filters.put(col("q").le(Expr.decimal("50.01")), (long) qty.size());
                for (Map.Entry<Expr, Long> f : filters.entrySet()) {
                    try (DataFrame df = sw.scanParquet(parquet).filter(f.getKey()).select(Expr.rowCount()).collect()) {
                        assertEquals(f.getValue(), df.get(0, "row_count"), t + " " + f.getKey());
                    }
                }
                Files.delete(parquet);
            }
        });
    }

    private static BigDecimal sum(List<Object> values) {
        return values.stream().filter(v -> v != null).map(v -> (BigDecimal) v).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    @Test
    void readsDecimalsThatDuckDbWrote() {
        DifferentialSupport.seeded(31, (rnd, mem, sw) -> {
            Path file = mem.dataDir().resolve("duck.parquet");
            try (Connection db = DriverManager.getConnection("jdbc:duckdb:")) {
                try (Statement st = db.createStatement()) {
                    st.execute("COPY (SELECT i::BIGINT AS id, CASE WHEN i % 7 = 3 THEN NULL ELSE ((i - 2500) * 12345.67)::DECIMAL(15,2) END"
                            + " AS price, ((i - 2500) * 1234567890123.0123456789)::DECIMAL(38,10) AS big,"
                            + " ((i % 1000) - 500)::DECIMAL(4,1) AS small FROM range(5000) t(i)) TO '" + file + "' (FORMAT PARQUET)");
                }
                Map<Long, List<Object>> expected = new HashMap<>();
                try (Statement st = db.createStatement();
                        ResultSet rs = st.executeQuery("SELECT id, price, big, small FROM read_parquet('" + file + "')")) {
                    while (rs.next()) {
                        expected.put(rs.getLong(1), Arrays.asList(rs.getBigDecimal(2), rs.getBigDecimal(3), rs.getBigDecimal(4)));
                    }
                }
                LazyFrame scan = sw.scanParquet(file);
                assertEquals("Schema[id: int64, price: decimal(15,2), big: decimal(38,10), small: decimal(4,1)]",
                        scan.schema().toString());
                try (DataFrame df = scan.collect()) {
                    assertEquals(expected.size(), df.rowCount());
                    for (long r = 0; r < df.rowCount(); r++) {
                        List<Object> e = expected.get(df.getLong(r, "id"));
                        assertEquals(e.get(0), df.get(r, "price"), "price of row " + r);
                        assertEquals(e.get(1), df.get(r, "big"), "big of row " + r);
                        assertEquals(e.get(2), df.get(r, "small"), "small of row " + r);
                    }
                }
            }
        });
    }
}
