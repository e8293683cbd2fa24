package dev.spillway;

import dev.spillway.event.MergeJoinDone;
import dev.spillway.event.RunSpilled;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.options.JoinType;
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
        DataType.FLOAT64, DataType.TIMESTAMP};

    /** Memory settings: no cap; a moderate cap; a tiny cap with small morsels and forced spilling. */
    private static final List<MemorySetting> SETTINGS = MemorySetting.three(32L << 20, 4096, 6L << 20, 1024);

    static Object key(DataType t, int v) {
        return switch (t) {
            case INT64 -> (long) v * 1_000_003L;
            case INT32 -> v - 5000;
            case DATE32 -> LocalDate.ofEpochDay(v * 3L - 500);
            case UTF8 -> v % 7 == 0 ? "key-with-a-long-shared-prefix-" + (100_000 + v) : "k" + (100_000 + v);
            case FLOAT64 -> v == 0 ? -0.0 : v == 1 ? 0.0 : v == 2 ? Double.NaN : v / 4.0;
            case TIMESTAMP -> java.time.LocalDateTime.of(2024, 1, 1, 0, 0).plusSeconds(v * 61L - 30_000).plusNanos(v * 1000L);
            case BOOLEAN, DECIMAL128 -> throw new AssertionError();
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

    /** Duplicate-heavy keys, 2% nulls, and one key with a run of {@code longRun} right rows. */
    static JoinOracle.Tables tables(DataType kt, Random rnd, int leftRows, int rightRows, int domain, int longRun) {
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
        return new JoinOracle.Tables(left, l, right, r);
    }

    /** Rows with non-null keys must come in non-decreasing key order (join equality: -0.0 equals 0.0). */
    static void assertSortedOn(List<List<Object>> rows, int[] keys, String what) {
        List<Object> prev = null;
        for (int i = 0; i < rows.size(); i++) {
            List<Object> k = JoinOracle.keyOf(rows.get(i), keys);
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

    private static List<List<Object>> run(MemorySetting setting, LeakCheck.TestMemory mem, Spillway reader, JoinOracle.Tables t,
            List<String> sortOn, List<String> on, JoinType how, Path dir, int round, List<SpillwayEvent> events)
            throws Exception {
        return setting.withEngine(mem, events, sw -> {
            LazyFrame left = DifferentialSupport.input(sw, setting, t.left(), t.leftRows(), dir.resolve("left.csv"));
            LazyFrame right = DifferentialSupport.input(sw, setting, t.right(), t.rightRows(), dir.resolve("right.csv"));
            String[] order = sortOn.toArray(String[]::new);
            LazyFrame joined = left.sort(order).join(right.setSorted(order), on, on, how);
            assertTrue(joined.explain().contains("STREAMING_MERGE_JOIN " + how), joined.explain());
            return DifferentialSupport.result(joined, setting, sw, Engine.STREAMING, reader, dir.resolve("out-" + round + ".csv"));
        });
    }

    @Test
    void everyJoinTypeAndKeyTypeAtThreeMemorySettings() {
        DifferentialSupport.seeded((rnd, mem, reader) -> {
            Path dir = mem.dataDir();
            int round = 0;
            for (DataType kt : KEY_TYPES) {
                JoinOracle.Tables t = tables(kt, rnd, 1500, 2000, 250 + rnd.nextInt(100), 1500);
                boolean twoKeys = rnd.nextBoolean();
                // A float64 key must be the last merge key (-0.0 and 0.0 are equal but sort apart).
                List<String> sortOn = twoKeys && kt == DataType.FLOAT64 ? List.of("k2", "k") : List.of("k", "k2");
                if (sortOn.get(0).equals("k2")) {
                    t.rightRows().sort(byColumns(1, 0));
                }
                reader.fromColumns(DifferentialSupport.columns(t.left(), t.leftRows())).sinkCsv(dir.resolve("left.csv"));
                reader.fromColumns(DifferentialSupport.columns(t.right(), t.rightRows())).sinkCsv(dir.resolve("right.csv"));
                List<String> on = twoKeys ? List.of("k", "k2") : List.of("k");
                int[] keys = twoKeys ? new int[] {0, 1} : new int[] {0};
                for (JoinType how : JoinType.values()) {
                    // Null keys never match in a merge join (nulls are not equal).
                    List<List<Object>> expected = JoinOracle.equiJoin(t, keys, keys, how, false);
                    for (MemorySetting s : SETTINGS) {
                        if (!s.isNoCap() && (how.ordinal() + kt.ordinal()) % 2 == 1) {
                            // Capped settings run half the join types per key type (alternating), to stay fast.
                            continue;
                        }
                        List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
                        String what = kt + " " + how + " on " + on + " " + s;
                        List<List<Object>> got = run(s, mem, reader, t, sortOn, on, how, dir, round++, events);
                        DifferentialSupport.assertSameRows(expected, got, what);
                        if (how != JoinType.RIGHT && how != JoinType.FULL) {
                            assertSortedOn(got, sortOn.get(0).equals("k2") ? new int[] {1, 0} : keys, what);
                        }
                        if (s.isTiny() && !how.leftColumnsOnly()) {
                            // The long run (1500 rows, more than a 1024-row morsel) went to disk.
                            assertTrue(events.stream().anyMatch(e -> e instanceof RunSpilled r && r.component().equals("merge-join")),
                                    what + ": " + events);
                        }
                    }
                }
            }
        });
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
                List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
                Path spill = mem.tempRoot().resolve("spill");
                long cap = 6L << 20;
                try (Spillway sw = Spillway.builder().memoryLimit(cap).threads(2).morselRows(4096).forceSpill(force).tempDir(spill)
                        .eventListener(events::add).build()) {
                    LazyFrame j = sw.scanCsv(dir.resolve("left.csv")).setSorted("k")
                            .join(sw.scanCsv(dir.resolve("right.csv")).setSorted("k"), "k", JoinType.INNER);
                    Path out = dir.resolve("out.csv");
                    long rows;
                    try {
                        rows = j.sinkCsv(out);
                    } catch (RuntimeException e) {
                        events.forEach(ev -> System.out.println(ev.line()));
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
                    assertTrue(events.stream().anyMatch(e -> e instanceof RunSpilled r && r.component().equals("merge-join")
                            && r.line().contains(reason)),
                            "force=" + force + ": " + events);
                    assertTrue(events.stream().anyMatch(e -> e instanceof MergeJoinDone d && d.runsSpilled() != 0),
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
