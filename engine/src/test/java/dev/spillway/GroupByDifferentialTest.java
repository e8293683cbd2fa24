package dev.spillway;

import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded differential tests of the hash aggregation against a java.util oracle: every aggregate,
 * every key type with null keys, one- and two-column keys, tiny to all-unique cardinalities, long
 * string keys, all-null groups, global aggregates, {@code unique}, and empty inputs — with no
 * memory cap, with a cap that spills half of the partitions, and with a tiny cap that spills all.
 */
class GroupByDifferentialTest {
    private static final DataType[] KEY_TYPES = {DataType.INT64, DataType.INT32, DataType.DATE32, DataType.UTF8, DataType.FLOAT64,
        DataType.DECIMAL128, DataType.TIMESTAMP};
    /** The precision and scale of decimal keys: values beyond 64 bits, so both words of a key matter. */
    private static final dev.spillway.types.DecimalType DECIMAL_KEY = dev.spillway.types.DecimalType.of(30, 4);
    /** A decimal value column whose values fit a long (sums and means on the narrow path). */
    static final DecimalType MONEY = DecimalType.of(12, 2);
    /** A decimal value column of values of every length up to 33 digits: sums carry into the high word, both signs. */
    static final DecimalType WIDE = DecimalType.of(33, 8);

    /**
     * Memory settings as in the join's differential test, but the tiny setting forces every partition to spill; its cap must still hold the collected
     * result (up to 7,500 groups of 33 columns, the 13 decimal aggregates 16 bytes a value; the
     * group-by hands out one morsel per merged partition, each with buffers for 1,024 rows, so a
     * result of a few thousand groups held 18.7 MiB with seed 81385163515587, which failed at
     * 20 MiB, and 11.4 MiB with seed 81029705115347, which failed at 12 MiB) beside the free pieces
     * below a page that the pool cannot give back while live pieces share their pages (2.3 MiB
     * with seed 56819986430081, which failed at 8 MiB).
     */
    private static final List<MemorySetting> SETTINGS = MemorySetting.withEncryptedTiny(MemorySetting.three(64L << 20, 4096, 48L << 20, 1024));

    private static final Schema SCHEMA_TEMPLATE_REST = Schema.of(Field.of("k2", DataType.INT32), Field.of("vi", DataType.INT64),
            Field.of("vd", DataType.FLOAT64), Field.of("vs", DataType.UTF8), Field.of("vt", DataType.DATE32),
            Field.of("vm", DataType.DECIMAL128, GroupByDifferentialTest.MONEY), Field.of("vw", DataType.DECIMAL128, GroupByDifferentialTest.WIDE));

    private static Schema schema(DataType keyType) {
        List<Field> f = new ArrayList<>();
        f.add(Field.of("k", keyType, keyType == DataType.DECIMAL128 ? DECIMAL_KEY : null,
                keyType == DataType.TIMESTAMP ? "UTC" : null));
        f.addAll(SCHEMA_TEMPLATE_REST.fields());
        return new Schema(f);
    }

    private static Object key(DataType t, Random rnd, int domain, double nullRate) {
        if (rnd.nextDouble() < nullRate) {
            return null;
        }
        int v = rnd.nextInt(domain);
        return switch (t) {
            case INT64 -> (long) v * 1_000_003L;
            case INT32 -> v - domain / 2;
            case DATE32 -> LocalDate.ofEpochDay(v - 500L);
            case UTF8 -> v % 5 == 0 ? "a-long-string-key-that-spans-several-words-to-test-long-keys-" + v + "-".repeat(v % 40) : "k" + v;
            case FLOAT64 -> v == 0 ? (rnd.nextBoolean() ? -0.0 : 0.0) : v == 1 ? Double.NaN : v / 4.0;
            case DECIMAL128 -> new java.math.BigDecimal(java.math.BigInteger.valueOf(v - domain / 2).shiftLeft(70)
                    .add(java.math.BigInteger.valueOf(v)), DECIMAL_KEY.scale());
            // Instants in UTC a few hours apart, microseconds set: the zone must survive spilling.
            case TIMESTAMP -> java.time.Instant.ofEpochSecond(1_700_000_000L + v * 3_601L - domain * 1_800L, v * 1000L);
            case BOOLEAN -> throw new AssertionError();
        };
    }

    private static List<List<Object>> rows(DataType keyType, Random rnd, int n, int domain) {
        List<List<Object>> rows = new ArrayList<>();
        // Groups whose key is 'hot' get null values only: all-null groups.
        for (int i = 0; i < n; i++) {
            Object k = key(keyType, rnd, domain, 0.03);
            boolean allNull = k != null && Math.floorMod(k.hashCode(), 11) == 0;
            Integer k2 = rnd.nextInt(10) == 0 ? null : rnd.nextInt(3);
            Long vi = allNull || rnd.nextInt(7) == 0 ? null : (long) rnd.nextInt(2_000_000) - 1_000_000;
            Double vd = allNull || rnd.nextInt(6) == 0 ? null : rnd.nextInt(100_000) / 8.0 - 5000;
            String vs = allNull || rnd.nextInt(5) == 0 ? null : "s" + rnd.nextInt(domain / 2 + 3) + (rnd.nextBoolean() ? "" : "-x");
            LocalDate vt = allNull || rnd.nextInt(8) == 0 ? null : LocalDate.ofEpochDay(rnd.nextInt(30_000) - 10_000);
            BigDecimal vm = allNull || rnd.nextInt(7) == 0 ? null
                    : BigDecimal.valueOf(rnd.nextLong(-9_999_999_999L, 10_000_000_000L), MONEY.scale());
            BigDecimal vw = allNull || rnd.nextInt(9) == 0 ? null : RandomData.decimal(WIDE, rnd);
            rows.add(Arrays.asList(k, k2, vi, vd, vs, vt, vm, vw));
        }
        return rows;
    }

    private static final Expr[] AGGS = {
        col("vi").sum().alias("sum_i"),
        col("vd").sum().alias("sum_d"),
        col("vs").count().alias("count_s"),
        Expr.rowCount(),
        col("vi").min().alias("min_i"),
        col("vd").max().alias("max_d"),
        col("vs").min().alias("min_s"),
        col("vs").max().alias("max_s"),
        col("vt").min().alias("min_t"),
        col("vi").mean().alias("mean_i"),
        col("vd").mean().alias("mean_d"),
        col("vs").first().alias("first_s"),
        col("vi").last().alias("last_i"),
        col("vt").first().alias("first_t"),
        col("vd").last().alias("last_d"),
        col("vi").nUnique().alias("nu_i"),
        col("vs").nUnique().alias("nu_s"),
        col("vi").times(col("k2")).sum().alias("prod"),
        col("vm").sum().alias("sum_m"),
        col("vm").mean().alias("mean_m"),
        col("vm").min().alias("min_m"),
        col("vm").max().alias("max_m"),
        col("vm").last().alias("last_m"),
        col("vm").nUnique().alias("nu_m"),
        col("vm").times(col("k2")).sum().alias("prod_m"),
        col("vw").sum().alias("sum_w"),
        col("vw").mean().alias("mean_w"),
        col("vw").min().alias("min_w"),
        col("vw").max().alias("max_w"),
        col("vw").first().alias("first_w"),
        col("vw").count().alias("count_w"),
    };

    /** Per-group accumulators of the oracle, one per entry of {@link #AGGS}. */
    private static final class Acc {
        Long sumI;
        Double sumD;
        long countS;
        long len;
        Long minI;
        Double maxD;
        String minS;
        String maxS;
        LocalDate minT;
        long sumIForMean;
        long nI;
        double sumDForMean;
        long nD;
        String firstS;
        Long lastI;
        LocalDate firstT;
        Double lastD;
        boolean seen;
        Set<Long> distinctI = new HashSet<>();
        Set<String> distinctS = new HashSet<>();
        Long prod;
        BigDecimal sumM;
        long nM;
        BigDecimal minM;
        BigDecimal maxM;
        BigDecimal lastM;
        Set<BigDecimal> distinctM = new HashSet<>();
        BigDecimal prodM;
        BigDecimal sumW;
        long nW;
        BigDecimal minW;
        BigDecimal maxW;
        BigDecimal firstW;

        void add(List<Object> r) {
            BigDecimal vm = (BigDecimal) r.get(6);
            BigDecimal vw = (BigDecimal) r.get(7);
            if (vm != null) {
                sumM = sumM == null ? vm : sumM.add(vm);
                nM++;
                minM = minM == null || vm.compareTo(minM) < 0 ? vm : minM;
                maxM = maxM == null || vm.compareTo(maxM) > 0 ? vm : maxM;
                distinctM.add(vm);
                if (r.get(1) != null) {
                    BigDecimal p = vm.multiply(BigDecimal.valueOf((Integer) r.get(1)));
                    prodM = prodM == null ? p : prodM.add(p);
                }
            }
            if (vw != null) {
                sumW = sumW == null ? vw : sumW.add(vw);
                nW++;
                minW = minW == null || vw.compareTo(minW) < 0 ? vw : minW;
                maxW = maxW == null || vw.compareTo(maxW) > 0 ? vw : maxW;
            }
            if (!seen) {
                firstW = vw;
            }
            lastM = vm;
            Integer k2 = (Integer) r.get(1);
            Long vi = (Long) r.get(2);
            Double vd = (Double) r.get(3);
            String vs = (String) r.get(4);
            LocalDate vt = (LocalDate) r.get(5);
            if (vi != null) {
                sumI = sumI == null ? vi : sumI + vi;
                minI = minI == null || vi < minI ? vi : minI;
                sumIForMean += vi;
                nI++;
                distinctI.add(vi);
                if (k2 != null) {
                    prod = prod == null ? vi * k2 : prod + vi * k2;
                }
            }
            if (vd != null) {
                sumD = sumD == null ? vd : sumD + vd;
                maxD = maxD == null || Double.compare(vd, maxD) > 0 ? vd : maxD;
                sumDForMean += vd;
                nD++;
            }
            if (vs != null) {
                countS++;
                minS = minS == null || vs.compareTo(minS) < 0 ? vs : minS;
                maxS = maxS == null || vs.compareTo(maxS) > 0 ? vs : maxS;
                distinctS.add(vs);
            }
            if (vt != null) {
                minT = minT == null || vt.isBefore(minT) ? vt : minT;
            }
            len++;
            if (!seen) {
                firstS = vs;
                firstT = vt;
                seen = true;
            }
            lastI = vi;
            lastD = vd;
        }

        List<Object> result() {
            return Arrays.asList(sumI, sumD, countS, len, minI, maxD, minS, maxS, minT, nI == 0 ? null : (double) sumIForMean / nI,
                    nD == 0 ? null : sumDForMean / nD, firstS, lastI, firstT, lastD, (long) distinctI.size(),
                    (long) distinctS.size(), prod, sumM, mean(sumM, nM), minM, maxM, lastM, (long) distinctM.size(), prodM, sumW,
                    mean(sumW, nW), minW, maxW, firstW, nW);
        }

        /** The decimal mean: decimal(38, max(s, 6)), rounded half away from zero. */
        private static BigDecimal mean(BigDecimal sum, long n) {
            return n == 0 ? null : sum.divide(BigDecimal.valueOf(n), Math.max(6, sum.scale()), RoundingMode.HALF_UP);
        }
    }

    /** The oracle's group-by over boxed rows: keys are the given columns. */
    private static List<List<Object>> oracle(List<List<Object>> rows, int[] keyCols) {
        Map<List<Object>, Acc> groups = new LinkedHashMap<>();
        for (List<Object> r : rows) {
            List<Object> k = new ArrayList<>();
            for (int c : keyCols) {
                k.add(DifferentialSupport.norm(r.get(c)));
            }
            groups.computeIfAbsent(k, x -> new Acc()).add(r);
        }
        List<List<Object>> out = new ArrayList<>();
        groups.forEach((k, acc) -> {
            List<Object> row = new ArrayList<>(k);
            row.addAll(acc.result());
            out.add(row);
        });
        return out;
    }

    /** Collects {@code q}; a failure names the setting it failed at. */
    private static DataFrame collect(LazyFrame q, MemorySetting setting) {
        try {
            return q.collect(setting.isNoCap() ? Engine.IN_MEMORY : Engine.STREAMING);
        } catch (RuntimeException e) {
            throw new AssertionError("failed at " + setting + " (" + q.schema().size() + " result columns)", e);
        }
    }

    /**
     * Runs {@code query} over the data at one setting: in memory from columns without a cap, else
     * from a CSV file (so that the input does not count against the cap); checks the cap and, for
     * the spilling settings, that something spilled.
     */
    private static List<List<Object>> run(MemorySetting setting, LeakCheck.TestMemory mem, Path csv, Schema schema,
            List<List<Object>> rows, Function<LazyFrame, LazyFrame> query, boolean expectSpill) throws Exception {
        return setting.withEngine(mem, null, sw -> {
            LazyFrame q = query.apply(DifferentialSupport.input(sw, setting, schema, rows, csv));
            try (DataFrame df = collect(q, setting)) {
                if (!setting.isNoCap()) {
                    setting.assertPeakWithinCap(sw, setting.toString());
                    if (expectSpill) {
                        assertTrue(sw.spills().stats().filesCreated() > 0 && sw.spills().stats().bytesReadRaw() > 0,
                                "the " + setting + " setting spilled and read back");
                    }
                }
                return df.rows();
            }
        });
    }

    @Test
    void everyAggregateAndKeyTypeAtThreeMemorySettings() {
        DifferentialSupport.seeded((rnd, mem, writer) -> {
            Path csv = mem.dataDir().resolve("in.csv");
            int[] domains = {3, 200, 5000, 1_000_000};
            for (DataType kt : KEY_TYPES) {
                int domain = domains[rnd.nextInt(domains.length)];
                int n = 5_000 + rnd.nextInt(2_500);
                Schema schema = schema(kt);
                List<List<Object>> data = rows(kt, rnd, n, domain);
                writer.fromColumns(DifferentialSupport.columns(schema, data)).sinkCsv(csv);
                boolean twoKeys = rnd.nextBoolean();
                int[] keyCols = twoKeys ? new int[] {0, 1} : new int[] {0};
                String[] keys = twoKeys ? new String[] {"k", "k2"} : new String[] {"k"};
                List<List<Object>> expected = oracle(data, keyCols);
                List<List<Object>> global = oracle(data, new int[0]);
                MemorySetting uniqueAt = SETTINGS.get(rnd.nextInt(SETTINGS.size()));
                for (MemorySetting s : SETTINGS) {
                    String what = kt + " keys=" + Arrays.toString(keys) + " domain=" + domain + " " + s;
                    DifferentialSupport.assertSameRows(expected, run(s, mem, csv, schema, data, f -> f.groupBy(keys).agg(AGGS),
                            domain > 100), what);
                    DifferentialSupport.assertSameRows(global, run(s, mem, csv, schema, data, f -> f.select(AGGS), false),
                            "global " + what);
                    if (s != uniqueAt) {
                        continue;
                    }
                    List<List<Object>> distinct = new ArrayList<>();
                    for (List<Object> r : expected) {
                        distinct.add(r.subList(0, keys.length));
                    }
                    DifferentialSupport.assertSameRows(distinct, run(s, mem, csv, schema, data, f -> f.select(keys).unique(), false),
                            "unique " + what);
                }
            }
        });
    }

    @Test
    void uniqueOnASubsetKeepsTheFirstRowPerKey() {
        EngineTestSupport.withEngine(64L << 20, b -> b.morselRows(1000).forceSpill(0.5), (sw, dir) -> {
            int n = 30_000;
            List<Object> k = new ArrayList<>();
            List<Object> v = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                k.add(i % 2000 == 7 ? null : (long) (i % 2000));
                v.add("row-" + i);
            }
            Map<String, Object> cols = new LinkedHashMap<>();
            cols.put("v", v);
            cols.put("k", k);
            try (DataFrame df = sw.fromColumns(cols).unique("k").collect()) {
                assertEquals(List.of("v", "k"), df.columns());
                assertEquals(2000, df.rowCount());
                List<List<Object>> rows = new ArrayList<>(df.rows());
                rows.sort(Comparator.comparing(r -> r.get(1) == null ? -1L : (Long) r.get(1)));
                assertEquals(Arrays.asList("row-7", null), rows.get(0));
                assertEquals(Arrays.asList("row-0", 0L), rows.get(1));
                assertEquals(Arrays.asList("row-1999", 1999L), rows.get(2000 - 1));
            }
        });
    }

    @Test
    void emptyInputGivesNoGroupsButOneGlobalRow() {
        for (MemorySetting s : List.of(MemorySetting.NO_CAP, SETTINGS.getLast())) {
            EngineTestSupport.withEngine(s.cap(), b -> b.forceSpill(s.forceSpill()), (sw, dir) -> {
                Map<String, Object> cols = new LinkedHashMap<>();
                cols.put("k", new long[] {1, 2, 3});
                cols.put("v", new double[] {1.0, 2.0, 3.0});
                cols.put("s", new String[] {"a", "b", "c"});
                LazyFrame empty = sw.fromColumns(cols).filter(col("k").gt(lit(10L)));
                try (DataFrame df = empty.groupBy("k").agg(col("v").sum(), Expr.rowCount()).collect()) {
                    assertEquals(0, df.rowCount());
                    assertEquals(List.of("k", "v", "row_count"), df.columns());
                }
                try (DataFrame df = empty.select(col("v").sum(), col("v").min().alias("mn"), col("s").max().alias("mx"),
                        col("v").mean().alias("avg"), col("v").count().alias("n"), Expr.rowCount(), col("s").first().alias("f"),
                        col("k").nUnique().alias("nu")).collect()) {
                    assertEquals(1, df.rowCount());
                    assertEquals(Arrays.asList(null, null, null, null, 0L, 0L, null, 0L), df.row(0));
                }
            });
        }
    }

    @Test
    void explainLabelsTheSpillableGroupByAndProjectionKeepsItsInputs() {
        EngineTestSupport.withEngine(64L << 20, (sw, dir) -> {
            Path csv = dir.resolve("t.csv");
            Files.writeString(csv, "a,b,c,d\n1,2.5,x,9\n1,3.5,y,8\n2,,z,7\n");
            LazyFrame q = sw.scanCsv(csv).groupBy("a").agg(col("b").times(lit(2.0)).sum().alias("s2"), col("c").max())
                    .filter(col("a").gt(lit(0L)));
            String plan = q.explain();
            assertTrue(plan.contains("STREAMING_GROUP_BY keys=[col(\"a\")] aggs=[(col(\"b\") * 2.0).sum().alias(\"s2\"),"
                    + " col(\"c\").max()] [spillable]"), plan);
            assertTrue(plan.contains("columns=[a, b, c]"), plan);
            assertTrue(plan.indexOf("STREAMING_FILTER") < plan.indexOf("STREAMING_GROUP_BY"), plan);
            try (DataFrame df = q.collect()) {
                List<List<Object>> rows = new ArrayList<>(df.rows());
                rows.sort(Comparator.comparing(r -> (Long) r.get(0)));
                assertEquals(List.of(List.of(1L, 12.0, "y"), Arrays.asList(2L, null, "z")), rows);
            }
            try (DataFrame df = sw.scanCsv(csv).select(Expr.rowCount(), col("d").sum()).collect()) {
                assertEquals(List.of(3L, 24L), df.row(0));
            }
        });
    }

    @Test
    void planErrorsNameTheProblem() {
        EngineTestSupport.withEngine(64L << 20, b -> b.threads(1), (sw, dir) -> {
            Map<String, Object> cols = new LinkedHashMap<>();
            cols.put("k", new long[] {1});
            cols.put("s", new String[] {"a"});
            LazyFrame f = sw.fromColumns(cols);
            var e1 = org.junit.jupiter.api.Assertions.assertThrows(dev.spillway.errors.PlanException.class,
                    () -> f.groupBy("k").agg(col("s").sum()));
            assertTrue(e1.getMessage().contains("sum() needs an int32, int64, float64 or decimal input, not utf8"), e1.getMessage());
            var e2 = org.junit.jupiter.api.Assertions.assertThrows(dev.spillway.errors.PlanException.class,
                    () -> f.select(col("k"), col("k").sum().alias("t")));
            assertTrue(e2.getMessage().contains("mixes aggregates"), e2.getMessage());
            var e3 = org.junit.jupiter.api.Assertions.assertThrows(dev.spillway.errors.PlanException.class,
                    () -> f.groupBy("nope").agg(Expr.rowCount()));
            assertTrue(e3.getMessage().contains("column 'nope' not found"), e3.getMessage());
        });
    }
}
