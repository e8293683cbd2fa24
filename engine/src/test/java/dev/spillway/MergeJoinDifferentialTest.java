package dev.spillway;

import dev.spillway.memory.DataType;
import dev.spillway.memory.Field;
import dev.spillway.memory.Schema;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.operators.csv.CsvOptions;
import dev.spillway.operators.join.JoinType;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded differential tests of the streaming merge join against a java.util oracle: every join
 * type, every key type, one- and two-column keys, null keys, -0.0 and NaN, many duplicate keys
 * and one long run of equal keys, at three memory settings (no cap; a moderate cap; a tiny cap
 * with forced spilling, where every run longer than a morsel goes to disk; the capped settings
 * alternate over half the join types per key type). The left input is
 * sorted by the query, the right one arrives sorted and is declared with {@code setSorted}.
 */
class MergeJoinDifferentialTest {
    private static final DataType[] KEY_TYPES = {DataType.INT64, DataType.INT32, DataType.DATE32, DataType.UTF8,
        DataType.FLOAT64};

    /** Memory settings: no cap; a moderate cap; a tiny cap with small morsels and forced spilling. */
    enum Setting {
        NO_CAP(1L << 30, 131_072, 0),
        MODERATE(32L << 20, 4096, 0.5),
        TINY(6L << 20, 1024, 1.0);

        final long cap;
        final int morselRows;
        final double forceSpill;

        Setting(long cap, int morselRows, double forceSpill) {
            this.cap = cap;
            this.morselRows = morselRows;
            this.forceSpill = forceSpill;
        }
    }

    static Object key(DataType t, int v) {
        return switch (t) {
            case INT64 -> (long) v * 1_000_003L;
            case INT32 -> v - 5000;
            case DATE32 -> LocalDate.ofEpochDay(v * 3L - 500);
            case UTF8 -> v % 7 == 0 ? "key-with-a-long-shared-prefix-" + (100_000 + v) : "k" + (100_000 + v);
            case FLOAT64 -> v == 0 ? -0.0 : v == 1 ? 0.0 : v == 2 ? Double.NaN : v / 4.0;
            case BOOLEAN -> throw new AssertionError();
        };
    }

    /** The engine's order: nulls last, floats by Double.compare (-0.0 before 0.0, NaN last), strings by code point. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static int compareValues(Object a, Object b) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : 1) : -1;
        }
        if (a instanceof Double x) {
            return Double.compare(x, (Double) b);
        }
        return ((Comparable) a).compareTo(b);
    }

    static Comparator<List<Object>> byColumns(int... cols) {
        return (x, y) -> {
            for (int c : cols) {
                int r = compareValues(x.get(c), y.get(c));
                if (r != 0) {
                    return r;
                }
            }
            return 0;
        };
    }

    /** Join-equality view of a key value: -0.0 as 0.0 (NaN boxes are equal already). */
    static Object norm(Object k) {
        return k instanceof Double d && d == 0.0 ? 0.0 : k;
    }

    record Tables(Schema left, List<List<Object>> leftRows, Schema right, List<List<Object>> rightRows) {
    }

    /** Duplicate-heavy keys, 2% nulls, and one key with a run of {@code longRun} right rows. */
    static Tables tables(DataType kt, Random rnd, int leftRows, int rightRows, int domain, int longRun) {
        Schema left = Schema.of(Field.of("k", kt), Field.of("k2", DataType.INT32), Field.of("v", DataType.INT64),
                Field.of("l", DataType.UTF8));
        Schema right = Schema.of(Field.of("k", kt), Field.of("k2", DataType.INT32), Field.of("v", DataType.UTF8),
                Field.of("r", DataType.FLOAT64));
        int hot = 3 + rnd.nextInt(domain - 3);
        List<List<Object>> l = new ArrayList<>();
        for (int i = 0; i < leftRows; i++) {
            Object k = rnd.nextInt(50) == 0 ? null : key(kt, i < 3 ? hot : rnd.nextInt(domain));
            l.add(Arrays.asList(k, i < 3 ? 1 : rnd.nextInt(3), (long) i, rnd.nextInt(9) == 0 ? null : "left-" + i));
        }
        List<List<Object>> r = new ArrayList<>();
        for (int i = 0; i < rightRows + longRun; i++) {
            Object k = i < longRun ? key(kt, hot) : rnd.nextInt(50) == 0 ? null : key(kt, rnd.nextInt(domain));
            r.add(Arrays.asList(k, i < longRun ? 1 : rnd.nextInt(3), "right-payload-" + i, i / 8.0));
        }
        // The right input arrives sorted (the engine's order, nulls last); the left one is sorted by the query.
        r.sort(byColumns(0, 1));
        return new Tables(left, l, right, r);
    }

    /** The oracle: a hash join over boxed rows (null keys never match). */
    static List<List<Object>> oracle(Tables t, int[] keys, JoinType how) {
        Map<List<Object>, List<Integer>> index = new HashMap<>();
        for (int i = 0; i < t.rightRows.size(); i++) {
            List<Object> k = keyOf(t.rightRows.get(i), keys);
            if (k != null) {
                index.computeIfAbsent(k, x -> new ArrayList<>()).add(i);
            }
        }
        boolean[] rightMatched = new boolean[t.rightRows.size()];
        List<List<Object>> out = new ArrayList<>();
        int rightWidth = t.right.size();
        for (List<Object> row : t.leftRows) {
            List<Object> k = keyOf(row, keys);
            List<Integer> matches = k == null ? null : index.get(k);
            boolean matched = matches != null;
            if (matched && how != JoinType.SEMI && how != JoinType.ANTI) {
                for (int m : matches) {
                    rightMatched[m] = true;
                    List<Object> o = new ArrayList<>(row);
                    for (int c = 0; c < rightWidth; c++) {
                        if (!contains(keys, c)) {
                            o.add(t.rightRows.get(m).get(c));
                        }
                    }
                    out.add(o);
                }
            }
            if ((how == JoinType.SEMI && matched) || (!matched && (how == JoinType.ANTI || how == JoinType.LEFT
                    || how == JoinType.FULL))) {
                List<Object> o = new ArrayList<>(row);
                if (!how.leftColumnsOnly()) {
                    for (int c = 0; c < rightWidth - keys.length; c++) {
                        o.add(null);
                    }
                }
                out.add(o);
            }
        }
        if (how == JoinType.RIGHT || how == JoinType.FULL) {
            for (int i = 0; i < t.rightRows.size(); i++) {
                if (rightMatched[i]) {
                    continue;
                }
                List<Object> r = t.rightRows.get(i);
                List<Object> o = new ArrayList<>();
                for (int c = 0; c < t.left.size(); c++) {
                    o.add(contains(keys, c) ? r.get(c) : null);
                }
                for (int c = 0; c < rightWidth; c++) {
                    if (!contains(keys, c)) {
                        o.add(r.get(c));
                    }
                }
                out.add(o);
            }
        }
        return out;
    }

    private static List<Object> keyOf(List<Object> row, int[] keys) {
        List<Object> k = new ArrayList<>();
        for (int c : keys) {
            if (row.get(c) == null) {
                return null;
            }
            k.add(norm(row.get(c)));
        }
        return k;
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    static Map<String, Object> columns(Schema s, List<List<Object>> rows) {
        Map<String, Object> cols = new LinkedHashMap<>();
        for (int c = 0; c < s.size(); c++) {
            List<Object> col = new ArrayList<>(rows.size());
            for (List<Object> r : rows) {
                col.add(r.get(c));
            }
            cols.put(s.field(c).name(), col);
        }
        return cols;
    }

    /** Rows with non-null keys must come in non-decreasing key order (join equality: -0.0 equals 0.0). */
    static void assertSortedOn(List<List<Object>> rows, int[] keys, String what) {
        List<Object> prev = null;
        for (int i = 0; i < rows.size(); i++) {
            List<Object> k = keyOf(rows.get(i), keys);
            if (k == null) {
                continue;
            }
            if (prev != null) {
                int c = 0;
                for (int j = 0; j < k.size() && c == 0; j++) {
                    c = compareValues(prev.get(j), k.get(j));
                }
                assertTrue(c <= 0, what + ": output row " + i + " key " + k + " after " + prev);
            }
            prev = k;
        }
    }

    private static List<List<Object>> run(Setting setting, LeakCheck.TestMemory mem, Spillway reader, Tables t,
            List<String> sortOn, List<String> on, JoinType how, Path dir, int round, List<String> events) throws Exception {
        Path spill = mem.tempRoot().resolve("spill-" + setting);
        try (Spillway sw = Spillway.builder().memoryLimit(setting.cap).threads(2).morselRows(setting.morselRows)
                .forceSpill(setting.forceSpill).tempDir(spill).events(events::add).build()) {
            LazyFrame left;
            LazyFrame right;
            if (setting == Setting.NO_CAP) {
                left = sw.fromColumns(columns(t.left, t.leftRows));
                right = sw.fromColumns(columns(t.right, t.rightRows));
            } else {
                left = sw.scanCsv(dir.resolve("left.csv"), CsvOptions.defaults().withSchema(t.left));
                right = sw.scanCsv(dir.resolve("right.csv"), CsvOptions.defaults().withSchema(t.right));
            }
            String[] order = sortOn.toArray(String[]::new);
            LazyFrame joined = left.sort(order).join(right.setSorted(order), on, on, how);
            assertTrue(joined.explain().contains("STREAMING_MERGE_JOIN " + how), joined.explain());
            if (setting == Setting.NO_CAP) {
                try (DataFrame df = joined.collect()) {
                    return df.rows();
                }
            }
            Path out = dir.resolve("out-" + round + ".csv");
            joined.sinkCsv(out);
            assertTrue(sw.budget().peak() <= setting.cap, "peak " + sw.budget().peak() + " over the cap " + setting.cap);
            try (DataFrame df = reader.scanCsv(out, CsvOptions.defaults().withSchema(joined.schema())).collect()) {
                Files.delete(out);
                return df.rows();
            }
        } finally {
            Files.deleteIfExists(spill);
        }
    }

    @Test
    void everyJoinTypeAndKeyTypeAtThreeMemorySettings() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        try {
            LeakCheck.assertNoLeaks(mem -> {
                Path dir = mem.dataDir();
                try (Spillway reader = Spillway.builder().memoryLimit(1L << 30).threads(2).tempDir(mem.tempRoot().resolve("r"))
                        .build()) {
                    int round = 0;
                    for (DataType kt : KEY_TYPES) {
                        Tables t = tables(kt, rnd, 1500, 2000, 250 + rnd.nextInt(100), 1500);
                        boolean twoKeys = rnd.nextBoolean();
                        // A float64 key must be the last merge key (-0.0 and 0.0 are equal but sort apart).
                        List<String> sortOn = twoKeys && kt == DataType.FLOAT64 ? List.of("k2", "k") : List.of("k", "k2");
                        if (sortOn.get(0).equals("k2")) {
                            t.rightRows.sort(byColumns(1, 0));
                        }
                        reader.fromColumns(columns(t.left, t.leftRows)).sinkCsv(dir.resolve("left.csv"));
                        reader.fromColumns(columns(t.right, t.rightRows)).sinkCsv(dir.resolve("right.csv"));
                        List<String> on = twoKeys ? List.of("k", "k2") : List.of("k");
                        int[] keys = twoKeys ? new int[] {0, 1} : new int[] {0};
                        for (JoinType how : JoinType.values()) {
                            List<List<Object>> expected = oracle(t, keys, how);
                            for (Setting s : Setting.values()) {
                                if (s != Setting.NO_CAP && (how.ordinal() + kt.ordinal()) % 2 == 1) {
                                    // Capped settings run half the join types per key type (alternating), to stay fast.
                                    continue;
                                }
                                List<String> events = new CopyOnWriteArrayList<>();
                                String what = kt + " " + how + " on " + on + " " + s;
                                List<List<Object>> got = run(s, mem, reader, t, sortOn, on, how, dir, round++, events);
                                JoinDifferentialTest.assertSameRows(expected, got, what);
                                if (how != JoinType.RIGHT && how != JoinType.FULL) {
                                    assertSortedOn(got, sortOn.get(0).equals("k2") ? new int[] {1, 0} : keys, what);
                                }
                                if (s == Setting.TINY && !how.leftColumnsOnly()) {
                                    // The long run (1500 rows, more than a 1024-row morsel) went to disk.
                                    assertTrue(events.stream().anyMatch(e -> e.startsWith("[spillway] merge-join: run spilled rows=")),
                                            what + ": " + events);
                                }
                            }
                        }
                    }
                }
                Files.delete(mem.tempRoot().resolve("r"));
            });
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("failed with seed " + seed, e);
        }
    }

    /**
     * One key's right run (100k rows of 60-byte payloads, about 7 MiB) is larger than the whole
     * 6 MiB memory cap: it cannot be buffered, so it spills — on a failed reservation without
     * forcing, and by force at forceSpill(1.0) — and is re-read for each of the three left rows of
     * that key. Every output line is checked.
     */
    @Test
    void aRunLargerThanTheMemoryCapSpillsAndIsReReadPerLeftBlock() {
        LeakCheck.assertNoLeaks(mem -> {
            int hotRows = 100_000;
            List<Long> rk = new ArrayList<>();
            List<String> rv = new ArrayList<>();
            for (long k = 0; k < 400; k++) {
                int n = k == 200 ? hotRows : 3;
                for (int i = 0; i < n; i++) {
                    rk.add(k);
                    rv.add(String.format("%-60s", "payload-" + k + "-" + i).replace(' ', 'x'));
                }
            }
            List<Long> lk = new ArrayList<>();
            for (long k = 0; k < 400; k += 2) {
                lk.add(k);
                if (k == 200) {
                    lk.add(k);
                    lk.add(k);
                }
            }
            Map<String, Object> right = new LinkedHashMap<>();
            right.put("k", rk);
            right.put("v", rv);
            Map<String, Object> left = new LinkedHashMap<>();
            left.put("k", lk);
            Path dir = mem.dataDir();
            try (Spillway reader = Spillway.builder().memoryLimit(1L << 30).tempDir(mem.tempRoot().resolve("r")).build()) {
                reader.fromColumns(right).sinkCsv(dir.resolve("right.csv"));
                reader.fromColumns(left).sinkCsv(dir.resolve("left.csv"));
            }
            Map<String, Integer> expected = new HashMap<>();
            for (long k : lk) {
                for (int i = 0; i < rk.size(); i++) {
                    if (rk.get(i) == k) {
                        expected.merge(k + "," + rv.get(i), 1, Integer::sum);
                    }
                }
            }
            for (double force : new double[] {0, 1.0}) {
                List<String> events = new CopyOnWriteArrayList<>();
                Path spill = mem.tempRoot().resolve("spill");
                long cap = 6L << 20;
                try (Spillway sw = Spillway.builder().memoryLimit(cap).threads(2).morselRows(4096).forceSpill(force).tempDir(spill)
                        .events(events::add).build()) {
                    LazyFrame j = sw.scanCsv(dir.resolve("left.csv")).setSorted("k")
                            .join(sw.scanCsv(dir.resolve("right.csv")).setSorted("k"), "k", JoinType.INNER);
                    Path out = dir.resolve("out.csv");
                    long rows;
                    try {
                        rows = j.sinkCsv(out);
                    } catch (RuntimeException e) {
                        events.forEach(System.out::println);
                        throw e;
                    }
                    assertEquals(3L * hotRows + 3L * (lk.size() - 3), rows, "force=" + force);
                    Map<String, Integer> got = new HashMap<>();
                    try (java.util.stream.Stream<String> lines = Files.lines(out)) {
                        lines.skip(1).forEach(line -> got.merge(line, 1, Integer::sum));
                    }
                    assertEquals(expected, got, "force=" + force);
                    assertTrue(sw.budget().peak() <= cap, "peak " + sw.budget().peak() + " over the cap " + cap);
                    String reason = force > 0 ? "reason=forced" : "reason=memory";
                    assertTrue(events.stream().anyMatch(e -> e.startsWith("[spillway] merge-join: run spilled") && e.contains(reason)),
                            "force=" + force + ": " + events);
                    assertTrue(events.stream().anyMatch(e -> e.startsWith("[spillway] merge-join: done") && !e.contains("runs-spilled=0")),
                            "force=" + force + ": " + events);
                    Files.delete(out);
                } finally {
                    Files.deleteIfExists(spill);
                }
            }
            Files.delete(mem.tempRoot().resolve("r"));
        });
    }
}
