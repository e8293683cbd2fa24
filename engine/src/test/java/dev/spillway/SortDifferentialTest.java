package dev.spillway;

import dev.spillway.event.SortRunSpilled;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.memory.testing.LeakCheck;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded differential tests of the external sort and top-k against {@code java.util} sorting:
 * nulls, NaN, ±0.0 and infinities, strings with long shared prefixes, many duplicates, mixed
 * directions and null placements, one to three keys, stable and unstable — with no memory cap,
 * with a cap where half of the runs spill, and with a tiny cap where every run spills.
 */
class SortDifferentialTest {
    /** Memory settings as in the join and group-by differential tests. */
    private static final List<MemorySetting> SETTINGS = MemorySetting.withEncryptedTiny(MemorySetting.three(64L << 20, 4096, 16L << 20, 1024));

    private static final String[] NAMES = {"id", "i", "d", "s", "n", "t", "b"};
    private static final String LONG_PREFIX = "a-long-shared-prefix-of-more-than-sixteen-bytes/";

    private static List<List<Object>> rows(Random rnd, int count) {
        List<List<Object>> rows = new ArrayList<>();
        int domain = 1 + rnd.nextInt(rnd.nextBoolean() ? 20 : 5000);
        for (int r = 0; r < count; r++) {
            Long i = rnd.nextInt(12) == 0 ? null : switch (rnd.nextInt(10)) {
                case 0 -> Long.MIN_VALUE + rnd.nextInt(3);
                case 1 -> Long.MAX_VALUE - rnd.nextInt(3);
                default -> (long) rnd.nextInt(domain) - domain / 2;
            };
            Double d = rnd.nextInt(10) == 0 ? null : switch (rnd.nextInt(12)) {
                case 0 -> Double.NaN;
                case 1 -> -0.0;
                case 2 -> 0.0;
                case 3 -> rnd.nextBoolean() ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
                default -> (rnd.nextInt(domain) - domain / 2) / 4.0;
            };
            String s = rnd.nextInt(9) == 0 ? null : switch (rnd.nextInt(4)) {
                case 0 -> LONG_PREFIX + rnd.nextInt(domain);
                case 1 -> LONG_PREFIX.substring(0, rnd.nextInt(LONG_PREFIX.length()) + 1);
                case 2 -> "é" + rnd.nextInt(domain);
                default -> "s" + rnd.nextInt(domain);
            };
            Integer n = rnd.nextInt(8) == 0 ? null : rnd.nextInt(domain) - domain / 2;
            LocalDate t = rnd.nextInt(8) == 0 ? null : LocalDate.ofEpochDay(rnd.nextInt(domain) - 100L);
            Boolean b = rnd.nextInt(6) == 0 ? null : rnd.nextBoolean();
            rows.add(Arrays.asList((long) r, i, d, s, n, t, b));
        }
        return rows;
    }

    /** The input as several in-memory chunks concatenated, so that both workers see morsels. */
    private static LazyFrame frame(Spillway sw, List<List<Object>> rows, int chunk) {
        List<LazyFrame> parts = new ArrayList<>();
        for (int from = 0; from < rows.size(); from += chunk) {
            List<List<Object>> part = rows.subList(from, Math.min(rows.size(), from + chunk));
            parts.add(sw.fromColumns(DifferentialSupport.columns(Arrays.asList(NAMES), part)));
        }
        return parts.get(0).concat(parts.subList(1, parts.size()).toArray(new LazyFrame[0]));
    }

    /** The oracle's order of one key of rows whose columns are {@code names}. */
    @SuppressWarnings("unchecked")
    private static Comparator<List<Object>> comparator(List<String> names, SortKey key) {
        int c = names.indexOf(key.column());
        Comparator<Object> values = (x, y) -> switch (x) {
            case Double a -> Double.compare(a, (Double) y);
            case String a -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), ((String) y).getBytes(StandardCharsets.UTF_8));
            default -> ((Comparable<Object>) x).compareTo(y);
        };
        Comparator<Object> dir = key.descending() ? values.reversed() : values;
        Comparator<Object> withNulls = key.nullsAreFirst() ? Comparator.nullsFirst(dir) : Comparator.nullsLast(dir);
        return (r1, r2) -> withNulls.compare(r1.get(c), r2.get(c));
    }

    /** The oracle's order of {@code keys} over rows whose columns are {@code names} (shared with the stress grid). */
    static Comparator<List<Object>> comparator(List<String> names, SortKey... keys) {
        Comparator<List<Object>> cmp = comparator(names, keys[0]);
        for (int k = 1; k < keys.length; k++) {
            cmp = cmp.thenComparing(comparator(names, keys[k]));
        }
        return cmp;
    }

    private static Comparator<List<Object>> comparator(SortKey[] keys) {
        return comparator(Arrays.asList(NAMES), keys);
    }

    private static SortKey[] randomKeys(Random rnd) {
        List<String> cols = new ArrayList<>(List.of("i", "d", "s", "n", "t", "b"));
        int n = 1 + rnd.nextInt(3);
        SortKey[] keys = new SortKey[n];
        for (int k = 0; k < n; k++) {
            String c = cols.remove(rnd.nextInt(cols.size()));
            SortKey key = rnd.nextBoolean() ? SortKey.asc(c) : SortKey.desc(c);
            keys[k] = switch (rnd.nextInt(3)) {
                case 0 -> key.nullsFirst();
                case 1 -> key.nullsLast();
                default -> key;
            };
        }
        return keys;
    }

    private static List<List<Object>> run(MemorySetting setting, LeakCheck.TestMemory mem, List<List<Object>> rows,
            Function<LazyFrame, LazyFrame> query, List<SpillwayEvent> events) throws Exception {
        return setting.withEngine(mem, events, sw -> {
            LazyFrame q = query.apply(frame(sw, rows, 1000));
            try (DataFrame df = q.collect()) {
                setting.assertPeakWithinCap(sw, setting.toString());
                return df.rows();
            }
        });
    }

    private static String describe(SortKey[] keys) {
        return Arrays.toString(keys);
    }

    @Test
    void sortMatchesJavaUtilAtEverySetting() {
        long seed = System.nanoTime();
        try {
            Random rnd = new Random(seed);
            LeakCheck.assertNoLeaks(mem -> {
                for (int round = 0; round < 4; round++) {
                    List<List<Object>> rows = rows(rnd, 3000 + rnd.nextInt(9000));
                    SortKey[] keys = randomKeys(rnd);
                    boolean stable = rnd.nextBoolean();
                    Comparator<List<Object>> cmp = comparator(keys);
                    List<List<Object>> expected = new ArrayList<>(rows);
                    expected.sort(cmp); // List.sort is stable: ties stay in scan order
                    for (MemorySetting s : SETTINGS) {
                        List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
                        List<List<Object>> got = run(s, mem, rows, in -> stable ? in.sortStable(keys) : in.sort(keys), events);
                        String what = s + " keys=" + describe(keys) + " stable=" + stable;
                        assertEquals(expected.size(), got.size(), what);
                        if (stable) {
                            assertEquals(expected, got, what);
                        } else {
                            for (int r = 1; r < got.size(); r++) {
                                assertTrue(cmp.compare(got.get(r - 1), got.get(r)) <= 0, what + " out of order at row " + r);
                            }
                            List<Object> ids = new ArrayList<>();
                            got.forEach(row -> ids.add(row.get(0)));
                            ids.sort(Comparator.comparingLong(x -> (Long) x));
                            for (int r = 0; r < ids.size(); r++) {
                                assertEquals((long) r, ids.get(r), what + ": every row exactly once");
                            }
                        }
                        if (s.isTiny()) {
                            assertTrue(events.stream().anyMatch(e -> e instanceof SortRunSpilled), what);
                        }
                    }
                }
            });
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
        }
    }

    @Test
    void topKAndSlicesMatchTheFullSort() {
        long seed = System.nanoTime();
        try {
            Random rnd = new Random(seed);
            LeakCheck.assertNoLeaks(mem -> {
                for (int round = 0; round < 3; round++) {
                    List<List<Object>> rows = rows(rnd, 2000 + rnd.nextInt(6000));
                    SortKey[] keys = randomKeys(rnd);
                    List<List<Object>> expected = new ArrayList<>(rows);
                    expected.sort(comparator(keys));
                    int k = rnd.nextInt(300);
                    int offset = rnd.nextInt(500);
                    for (MemorySetting s : SETTINGS) {
                        List<SpillwayEvent> ev = new CopyOnWriteArrayList<>();
                        String what = s + " keys=" + describe(keys) + " k=" + k + " offset=" + offset;
                        assertEquals(expected.subList(0, Math.min(k, rows.size())), run(s, mem, rows, in -> in.topK(k, keys), ev),
                                what + " topK");
                        assertEquals(expected.subList(0, Math.min(k, rows.size())),
                                run(s, mem, rows, in -> in.sortStable(keys).head(k), ev), what + " head");
                        int from = Math.min(offset, rows.size());
                        assertEquals(expected.subList(from, Math.min(rows.size(), offset + k)),
                                run(s, mem, rows, in -> in.sortStable(keys).slice(offset, k), ev), what + " slice");
                        assertEquals(expected.subList(Math.max(0, rows.size() - k), rows.size()),
                                run(s, mem, rows, in -> in.sortStable(keys).tail(k), ev), what + " tail");
                    }
                }
            });
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
        }
    }
}
