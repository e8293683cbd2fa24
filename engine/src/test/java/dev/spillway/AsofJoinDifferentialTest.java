package dev.spillway;

import dev.spillway.event.AsofStateCompacted;
import dev.spillway.event.RunSpilled;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import dev.spillway.options.AsofStrategy;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded differential tests of the streaming AsOf join against a nested-loop oracle: every
 * strategy, every {@code on} type (int64, int32, date32, float64 with -0.0 and NaN), with and
 * without a {@code by} column and a tolerance, null {@code on} and {@code by} values, many equal
 * {@code on} values, at three memory settings (no cap; a moderate cap; a tiny cap with small
 * morsels, where the join compacts its per-group state). One engine per setting and {@code on}
 * type serves all twelve strategy, {@code by} and tolerance combinations.
 */
class AsofJoinDifferentialTest {
    private static final DataType[] ON_TYPES = {DataType.INT64, DataType.INT32, DataType.DATE32, DataType.FLOAT64,
        DataType.TIMESTAMP};

    /** Memory settings: no cap; a moderate cap; a tiny cap with small morsels and forced spilling of the sort. */
    private static final List<MemorySetting> SETTINGS = MemorySetting.three(32L << 20, 2048, 6L << 20, 512);

    private static Object on(DataType t, int v) {
        return switch (t) {
            case INT64 -> v * 7L - 3000;
            case INT32 -> v * 3 - 100;
            case DATE32 -> LocalDate.ofEpochDay(v * 2L);
            case FLOAT64 -> v == 0 ? -0.0 : v == 1 ? 0.0 : v / 4.0 - 0.25;
            case TIMESTAMP -> java.time.LocalDateTime.of(2024, 1, 1, 0, 0).plus(v * 7L - 3000, java.time.temporal.ChronoUnit.MICROS);
            default -> throw new AssertionError(t);
        };
    }

    /** The distance unit of a type's values, for tolerances. */
    static Number tolerance(DataType t, int units) {
        return switch (t) {
            case INT64 -> units * 7L;
            case INT32 -> units * 3L;
            case DATE32 -> (long) units * 2;
            case FLOAT64 -> units / 4.0;
            case TIMESTAMP -> units * 7L;
            default -> throw new AssertionError(t);
        };
    }

    private static double num(Object v) {
        return v instanceof LocalDate d ? d.toEpochDay()
                : v instanceof java.time.LocalDateTime t ? dev.spillway.memory.Timestamps.ofLocal(t) : ((Number) v).doubleValue();
    }

    private static boolean missing(Object v) {
        return v == null || v instanceof Double d && d.isNaN();
    }

    /** Tables {@code on, g, lv} and {@code on, g, rv, rx} (the right sorted on {@code on}), shared with the stress grid. */
    static JoinOracle.Tables tables(DataType t, Random rnd, int leftRows, int rightRows, int domain) {
        Schema left = Schema.of(Field.of("on", t), Field.of("g", DataType.INT32), Field.of("lv", DataType.INT64));
        Schema right = Schema.of(Field.of("on", t), Field.of("g", DataType.INT32), Field.of("rv", DataType.UTF8),
                Field.of("rx", DataType.FLOAT64));
        List<List<Object>> l = new ArrayList<>();
        for (int i = 0; i < leftRows; i++) {
            Object v = rnd.nextInt(40) == 0 ? null : t == DataType.FLOAT64 && rnd.nextInt(60) == 0 ? Double.NaN
                    : on(t, rnd.nextInt(domain));
            l.add(Arrays.asList(v, rnd.nextInt(30) == 0 ? null : rnd.nextInt(5), (long) i));
        }
        List<List<Object>> r = new ArrayList<>();
        for (int i = 0; i < rightRows; i++) {
            Object v = rnd.nextInt(40) == 0 ? null : t == DataType.FLOAT64 && rnd.nextInt(60) == 0 ? Double.NaN
                    : on(t, rnd.nextInt(domain));
            r.add(Arrays.asList(v, rnd.nextInt(30) == 0 ? null : rnd.nextInt(5), "right-" + i, i / 2.0));
        }
        // The right input arrives sorted on 'on' (stable: equal values keep their order, which the strategies see).
        r.sort(MergeJoinDifferentialTest.byColumns(0));
        return new JoinOracle.Tables(left, l, right, r);
    }

    /** Nested loops: for each left row, the right row the strategy picks, per Polars' join_asof. */
    static List<List<Object>> oracle(JoinOracle.Tables t, AsofStrategy strategy, boolean by, Number tol) {
        List<List<Object>> out = new ArrayList<>();
        for (List<Object> l : t.leftRows()) {
            Object lo = l.get(0);
            int best = -1;
            double bestD = 0;
            if (!missing(lo) && !(by && l.get(1) == null)) {
                double x = num(lo);
                for (int j = 0; j < t.rightRows().size(); j++) {
                    List<Object> r = t.rightRows().get(j);
                    if (missing(r.get(0)) || by && !l.get(1).equals(r.get(1))) {
                        continue;
                    }
                    double v = num(r.get(0));
                    if (strategy == AsofStrategy.BACKWARD && v <= x) {
                        best = j;
                    } else if (strategy == AsofStrategy.FORWARD && v >= x) {
                        best = j;
                        break;
                    } else if (strategy == AsofStrategy.NEAREST && (best < 0 || Math.abs(v - x) <= bestD)) {
                        best = j;
                        bestD = Math.abs(v - x);
                    }
                }
                if (best >= 0 && tol != null && Math.abs(num(t.rightRows().get(best).get(0)) - x) > tol.doubleValue()) {
                    best = -1;
                }
            }
            List<Object> o = new ArrayList<>(l);
            List<Object> r = best < 0 ? Arrays.asList(null, null, null, null) : t.rightRows().get(best);
            if (!by) {
                o.add(r.get(1));
            }
            o.add(r.get(2));
            o.add(r.get(3));
            out.add(o);
        }
        return out;
    }

    private static List<List<Object>> run(MemorySetting setting, Spillway sw, Spillway reader, JoinOracle.Tables t,
            AsofStrategy strategy, boolean by, Number tol, Path dir, int round) throws Exception {
        LazyFrame left = DifferentialSupport.input(sw, setting, t.left(), t.leftRows(), dir.resolve("left.csv"));
        LazyFrame right = DifferentialSupport.input(sw, setting, t.right(), t.rightRows(), dir.resolve("right.csv"));
        // Declared as it arrives, or (tiny) re-sorted stably (equal values keep their order) into small morsels.
        right = setting.isTiny() ? right.sortStable("on") : right.setSorted("on");
        LazyFrame joined = left.sort("on").joinAsof(right, "on", by ? List.of("g") : List.of(), strategy, tol);
        String plan = joined.explain();
        assertTrue(plan.contains("STREAMING_ASOF_JOIN") && plan.contains("strategy="
                + strategy.name().toLowerCase(java.util.Locale.ROOT)), plan);
        return DifferentialSupport.result(joined, setting, sw, Engine.STREAMING, reader, dir.resolve("out-" + round + ".csv"));
    }

    @Test
    void everyStrategyAndOnTypeWithAndWithoutByAndToleranceAtThreeMemorySettings() {
        DifferentialSupport.seeded((rnd, mem, reader) -> {
            Path dir = mem.dataDir();
            boolean compacted = false;
            int round = 0;
            for (DataType type : ON_TYPES) {
                JoinOracle.Tables t = tables(type, rnd, 800, 4500, 400 + rnd.nextInt(400));
                reader.fromColumns(DifferentialSupport.columns(t.left(), t.leftRows())).sinkCsv(dir.resolve("left.csv"));
                reader.fromColumns(DifferentialSupport.columns(t.right(), t.rightRows())).sinkCsv(dir.resolve("right.csv"));
                List<Object[]> cases = new ArrayList<>();
                for (AsofStrategy strategy : AsofStrategy.values()) {
                    for (boolean by : new boolean[] {false, true}) {
                        Number tol = rnd.nextBoolean() ? null : tolerance(type, 1 + rnd.nextInt(3));
                        cases.add(new Object[] {strategy, by, tol, oracle(t, strategy, by, tol)});
                    }
                }
                for (MemorySetting s : SETTINGS) {
                    Path spill = mem.tempRoot().resolve("spill-" + s);
                    List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
                    try (Spillway sw = s.builder(spill).eventListener(events::add).build()) {
                        for (Object[] c : cases) {
                            AsofStrategy strategy = (AsofStrategy) c[0];
                            boolean by = (Boolean) c[1];
                            Number tol = (Number) c[2];
                            @SuppressWarnings("unchecked")
                            List<List<Object>> expected = (List<List<Object>>) c[3];
                            String what = type + " " + strategy + (by ? " by g" : "") + " tolerance=" + tol + " " + s;
                            List<List<Object>> got = run(s, sw, reader, t, strategy, by, tol, dir, round++);
                            DifferentialSupport.assertSameRows(expected, got, what);
                            MergeJoinDifferentialTest.assertSortedOn(got, new int[] {0}, what);
                        }
                    } finally {
                        Files.deleteIfExists(spill);
                    }
                    compacted |= events.stream().anyMatch(e -> e instanceof AsofStateCompacted c && c.component().equals("asof-join"));
                }
            }
            assertTrue(compacted, "with 512-row morsels the join compacted its per-group state at least once");
        });
    }
    // ------------------------------------------------------------------ many groups, multi-column and string keys

    private static final String[] STRINGS = {"s0", "s1", "s2", "a string longer than sixteen bytes, to span words"};
    private static final double[] DOUBLES = {-0.0, 0.0, Double.NaN, 1.5, -2.25};

    /** A value of 'by' column {@code k} (int64 over {@code domain}, utf8, float64 with -0.0/NaN, boolean), null now and then. */
    private static Object byValue(Random rnd, int k, int domain) {
        if (rnd.nextInt(40) == 0) {
            return null;
        }
        return switch (k) {
            case 0 -> (long) rnd.nextInt(domain);
            case 1 -> STRINGS[rnd.nextInt(STRINGS.length)];
            case 2 -> DOUBLES[rnd.nextInt(DOUBLES.length)];
            default -> rnd.nextBoolean();
        };
    }

    /** Rows {@code on, k0, k1, k2, k3, value}: int64 on, 'by' columns int64, utf8, float64, boolean. */
    private static JoinOracle.Tables keyedTables(Random rnd, int leftRows, int rightRows, int domain) {
        Schema left = Schema.of(Field.of("on", DataType.INT64), Field.of("k0", DataType.INT64), Field.of("k1", DataType.UTF8),
                Field.of("k2", DataType.FLOAT64), Field.of("k3", DataType.BOOLEAN), Field.of("lv", DataType.INT64));
        Schema right = Schema.of(Field.of("on", DataType.INT64), Field.of("k0", DataType.INT64), Field.of("k1", DataType.UTF8),
                Field.of("k2", DataType.FLOAT64), Field.of("k3", DataType.BOOLEAN), Field.of("rv", DataType.INT64));
        List<List<Object>> l = new ArrayList<>();
        for (int i = 0; i < leftRows; i++) {
            l.add(Arrays.asList(rnd.nextInt(40) == 0 ? null : (long) rnd.nextInt(3 * leftRows), byValue(rnd, 0, domain),
                    byValue(rnd, 1, domain), byValue(rnd, 2, domain), byValue(rnd, 3, domain), (long) i));
        }
        List<List<Object>> r = new ArrayList<>();
        for (int i = 0; i < rightRows; i++) {
            r.add(Arrays.asList(rnd.nextInt(40) == 0 ? null : (long) rnd.nextInt(3 * leftRows), byValue(rnd, 0, domain),
                    byValue(rnd, 1, domain), byValue(rnd, 2, domain), byValue(rnd, 3, domain), (long) i));
        }
        r.sort(MergeJoinDifferentialTest.byColumns(0));
        return new JoinOracle.Tables(left, l, right, r);
    }

    /** The boxed key of a row on columns {@code by} (-0.0 as 0.0), or null when one is null (it never matches). */
    private static List<Object> key(List<Object> row, int[] by) {
        List<Object> k = new ArrayList<>();
        for (int c : by) {
            Object v = row.get(c);
            if (v == null) {
                return null;
            }
            k.add(DifferentialSupport.norm(v));
        }
        return k;
    }

    /** Nested loops over the keyed tables: for each left row, the right row the strategy picks in its group. */
    private static List<List<Object>> keyedOracle(JoinOracle.Tables t, AsofStrategy strategy, int[] by, Number tol) {
        List<List<Object>> out = new ArrayList<>();
        List<List<Object>> rightKeys = new ArrayList<>();
        for (List<Object> r : t.rightRows()) {
            rightKeys.add(key(r, by));
        }
        for (List<Object> l : t.leftRows()) {
            Object lo = l.get(0);
            List<Object> lk = key(l, by);
            int best = -1;
            long bestD = 0;
            if (lo != null && lk != null) {
                long x = (Long) lo;
                for (int j = 0; j < t.rightRows().size(); j++) {
                    List<Object> r = t.rightRows().get(j);
                    if (r.get(0) == null || !lk.equals(rightKeys.get(j))) {
                        continue;
                    }
                    long v = (Long) r.get(0);
                    if (strategy == AsofStrategy.BACKWARD && v <= x) {
                        best = j;
                    } else if (strategy == AsofStrategy.FORWARD && v >= x) {
                        best = j;
                        break;
                    } else if (strategy == AsofStrategy.NEAREST && (best < 0 || Math.abs(v - x) <= bestD)) {
                        best = j;
                        bestD = Math.abs(v - x);
                    }
                }
                if (best >= 0 && tol != null && Math.abs((Long) t.rightRows().get(best).get(0) - x) > tol.longValue()) {
                    best = -1;
                }
            }
            List<Object> o = new ArrayList<>(l);
            List<Object> r = best < 0 ? null : t.rightRows().get(best);
            for (int c = 1; c < 5; c++) {
                boolean isBy = false;
                for (int b : by) {
                    isBy |= b == c;
                }
                if (!isBy) {
                    o.add(r == null ? null : r.get(c));
                }
            }
            o.add(r == null ? null : r.get(5));
            out.add(o);
        }
        return out;
    }

    /**
     * Many groups (thousands, so the join's key table grows several times) on multi-column keys of
     * int64, utf8, float64 (-0.0 equal to 0.0, NaN equal to NaN) and boolean columns, on a string
     * key alone and on a float64 key alone, with null key values, every strategy, with and without
     * a tolerance, at the three memory settings; the group count the join reports (BACKWARD) is
     * checked against the oracle's.
     */
    @Test
    void manyGroupsOnMultiColumnStringAndFloatKeys() {
        DifferentialSupport.seeded((rnd, mem, reader) -> {
            Path dir = mem.dataDir();
            JoinOracle.Tables t = keyedTables(rnd, 1500, 6000, 1500 + rnd.nextInt(1500));
            reader.fromColumns(DifferentialSupport.columns(t.left(), t.leftRows())).sinkCsv(dir.resolve("left.csv"));
            reader.fromColumns(DifferentialSupport.columns(t.right(), t.rightRows())).sinkCsv(dir.resolve("right.csv"));
            int[][] bys = {{1, 2, 3, 4}, {2}, {3}, {4, 1}};
            List<Object[]> cases = new ArrayList<>();
            for (AsofStrategy strategy : AsofStrategy.values()) {
                for (int[] by : bys) {
                    Number tol = rnd.nextBoolean() ? null : (long) (1 + rnd.nextInt(20));
                    cases.add(new Object[] {strategy, by, tol, keyedOracle(t, strategy, by, tol)});
                }
            }
            int round = 0;
            for (MemorySetting s : SETTINGS) {
                Path spill = mem.tempRoot().resolve("spill-keyed-" + s);
                List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
                try (Spillway sw = s.builder(spill).eventListener(events::add).build()) {
                    for (Object[] c : cases) {
                        AsofStrategy strategy = (AsofStrategy) c[0];
                        int[] by = (int[]) c[1];
                        Number tol = (Number) c[2];
                        @SuppressWarnings("unchecked")
                        List<List<Object>> expected = (List<List<Object>>) c[3];
                        List<String> names = new ArrayList<>();
                        for (int b : by) {
                            names.add(t.left().field(b).name());
                        }
                        String what = strategy + " by " + names + " tolerance=" + tol + " " + s;
                        LazyFrame left = DifferentialSupport.input(sw, s, t.left(), t.leftRows(), dir.resolve("left.csv"));
                        LazyFrame right = DifferentialSupport.input(sw, s, t.right(), t.rightRows(), dir.resolve("right.csv"));
                        right = s.isTiny() ? right.sortStable("on") : right.setSorted("on");
                        LazyFrame joined = left.sort("on").joinAsof(right, "on", names, strategy, tol);
                        events.clear();
                        List<List<Object>> got = DifferentialSupport.result(joined, s, sw, Engine.STREAMING, reader,
                                dir.resolve("out-keyed-" + round++ + ".csv"));
                        DifferentialSupport.assertSameRows(expected, got, what);
                        MergeJoinDifferentialTest.assertSortedOn(got, new int[] {0}, what);
                        if (strategy == AsofStrategy.BACKWARD) {
                            // The groups of the right rows read: those with an 'on' value up to the last left one.
                            long last = Long.MIN_VALUE;
                            for (List<Object> l : t.leftRows()) {
                                last = l.get(0) == null ? last : Math.max(last, (Long) l.get(0));
                            }
                            java.util.Set<List<Object>> keys = new java.util.HashSet<>();
                            for (List<Object> r : t.rightRows()) {
                                List<Object> k = key(r, by);
                                if (r.get(0) != null && (Long) r.get(0) <= last && k != null) {
                                    keys.add(k);
                                }
                            }
                            long reported = events.stream().filter(e -> e instanceof dev.spillway.event.AsofJoinDone)
                                    .mapToLong(e -> ((dev.spillway.event.AsofJoinDone) e).groups()).sum();
                            assertTrue(keys.size() == reported, what + ": groups reported " + reported + ", expected "
                                    + keys.size());
                        }
                    }
                } finally {
                    Files.deleteIfExists(spill);
                }
            }
        });
    }

    // ------------------------------------------------------------------ a right input that lags far behind

    /**
     * Left rows {@code on, g, lv, pad} with unique, increasing {@code on} values (the input is in
     * order as given) and a 40 to 80-byte string, so that the rows weigh more than what settles
     * them; right rows {@code on, g, rv, rx}: a few among the first tenth of the left values, then
     * nothing until a row or two per group after the last left value. FORWARD and NEAREST left
     * rows then wait for the late rows, nearly all of them at once.
     */
    private static JoinOracle.Tables laggingTables(Random rnd, int leftRows, int groups) {
        Schema left = Schema.of(Field.of("on", DataType.INT64), Field.of("g", DataType.INT32), Field.of("lv", DataType.INT64),
                Field.of("pad", DataType.UTF8));
        Schema right = Schema.of(Field.of("on", DataType.INT64), Field.of("g", DataType.INT32), Field.of("rv", DataType.UTF8),
                Field.of("rx", DataType.FLOAT64));
        List<List<Object>> l = new ArrayList<>();
        StringBuilder pad = new StringBuilder();
        for (int i = 0; i < leftRows; i++) {
            pad.setLength(0);
            for (int n = 40 + rnd.nextInt(41); n > 0; n--) {
                pad.append((char) ('a' + rnd.nextInt(26)));
            }
            l.add(Arrays.asList(3L * i, rnd.nextInt(50) == 0 ? null : rnd.nextInt(groups), (long) i, pad.toString()));
        }
        List<List<Object>> r = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            r.add(Arrays.asList((long) rnd.nextInt(3 * leftRows / 10), rnd.nextInt(groups), "early-" + i, i / 2.0));
        }
        for (int g = 0; g < groups; g++) {
            for (int k = rnd.nextInt(2); k < 2; k++) {
                r.add(Arrays.asList(3L * leftRows + rnd.nextInt(100), g, "late-" + g + "-" + k, -g - k / 4.0));
            }
        }
        r.sort(MergeJoinDifferentialTest.byColumns(0));
        return new JoinOracle.Tables(left, l, right, r);
    }

    /**
     * FORWARD and NEAREST joins whose left rows nearly all wait for a right input that lags far
     * behind, with and without a {@code by} group and a tolerance: at a cap whose quarter the
     * waiting morsels outgrow (before waiting rows could spill, the join failed there: "exceeds
     * 1/4 of the memory cap"), and with every waiting morsel forced to disk. The waiting rows were
     * spilled (the join's {@link RunSpilled} events) and the result equals the oracle row for row,
     * in left order.
     */
    @Test
    void waitingLeftRowsSpillWhenTheRightInputLagsFarBehind() {
        List<MemorySetting> settings = List.of(MemorySetting.NO_CAP, new MemorySetting("SMALL", 12L << 20, 2048, 0),
                new MemorySetting("FORCED", 16L << 20, 1024, 1.0));
        DifferentialSupport.seeded((rnd, mem, reader) -> {
            Path dir = mem.dataDir();
            int leftRows = 40_000;
            JoinOracle.Tables t = laggingTables(rnd, leftRows, 1 + rnd.nextInt(6));
            reader.fromColumns(DifferentialSupport.columns(t.left(), t.leftRows())).sinkCsv(dir.resolve("left.csv"));
            reader.fromColumns(DifferentialSupport.columns(t.right(), t.rightRows())).sinkCsv(dir.resolve("right.csv"));
            List<Object[]> cases = new ArrayList<>();
            for (AsofStrategy strategy : new AsofStrategy[] {AsofStrategy.FORWARD, AsofStrategy.NEAREST}) {
                for (boolean by : new boolean[] {false, true}) {
                    // A tolerance of half the left values: the later half of the rows still waits to the end.
                    for (Number tol : new Number[] {null, 3L * leftRows / 2}) {
                        cases.add(new Object[] {strategy, by, tol, oracle(t, strategy, by, tol)});
                    }
                }
            }
            int round = 0;
            for (MemorySetting s : settings) {
                Path spill = mem.tempRoot().resolve("spill-lagging-" + s);
                List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
                try (Spillway sw = s.builder(spill).eventListener(events::add).build()) {
                    for (Object[] c : cases) {
                        AsofStrategy strategy = (AsofStrategy) c[0];
                        boolean by = (Boolean) c[1];
                        Number tol = (Number) c[2];
                        @SuppressWarnings("unchecked")
                        List<List<Object>> expected = (List<List<Object>>) c[3];
                        String what = "lagging right input, " + strategy + (by ? " by g" : "") + " tolerance=" + tol + " " + s;
                        LazyFrame left = DifferentialSupport.input(sw, s, t.left(), t.leftRows(), dir.resolve("left.csv"))
                                .setSorted("on");
                        LazyFrame right = DifferentialSupport.input(sw, s, t.right(), t.rightRows(), dir.resolve("right.csv"))
                                .setSorted("on");
                        LazyFrame joined = left.joinAsof(right, "on", by ? List.of("g") : List.of(), strategy, tol);
                        events.clear();
                        List<List<Object>> got = DifferentialSupport.result(joined, s, sw, Engine.STREAMING, reader,
                                dir.resolve("out-lagging-" + round++ + ".csv"));
                        assertEquals(expected.size(), got.size(), what + ": rows");
                        for (int r = 0; r < expected.size(); r++) {
                            assertEquals(normalized(expected.get(r)), normalized(got.get(r)), what + ": row " + r);
                        }
                        long spilledRows = events.stream().filter(e -> e instanceof RunSpilled rs && rs.component().equals("asof-join"))
                                .mapToLong(e -> ((RunSpilled) e).rows()).sum();
                        if (s.isNoCap()) {
                            assertEquals(0, spilledRows, what + ": nothing spilled without a cap");
                        } else {
                            assertTrue(spilledRows > 0, what + ": waiting left rows were spilled");
                        }
                    }
                } finally {
                    Files.deleteIfExists(spill);
                }
            }
        });
    }

    private static List<Object> normalized(List<Object> row) {
        List<Object> o = new ArrayList<>(row.size());
        for (Object v : row) {
            o.add(DifferentialSupport.norm(v));
        }
        return o;
    }
}
