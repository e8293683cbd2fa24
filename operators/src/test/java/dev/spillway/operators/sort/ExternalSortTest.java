package dev.spillway.operators.sort;

import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.errors.MemoryLimitExceededException;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.memory.testing.RandomData;
import dev.spillway.operators.OperatorContext;
import dev.spillway.spill.SpillConfig;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillManager;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The external sort and top-k driven directly, against a {@code java.util} stable sort, with and
 * without forced spilling; and under a memory cap swept across the points where a reservation is
 * refused (input positions, a run sort's native working memory, the gathered run, the merge
 * cursors' keys, output blocks, a top-k worker's scratch): every refusal fails with
 * {@link MemoryLimitExceededException} and, once the operator is closed, leaves nothing charged.
 */
class ExternalSortTest {
    private static final Schema SCHEMA = Schema.of(Field.of("k", DataType.INT64), Field.of("d", DataType.FLOAT64),
            Field.of("s", DataType.UTF8), Field.of("n", DataType.INT32));
    private static final int MORSEL_ROWS = 300;

    /** Ascending k, descending d (nulls first), ascending s: radix-free (string key), stable. */
    private static SortSpec spec(boolean withString) {
        return withString
                ? new SortSpec(SCHEMA, new int[] {0, 1, 2}, new boolean[] {false, true, false}, new boolean[] {false, true, false}, true)
                : new SortSpec(SCHEMA, new int[] {3, 1}, new boolean[] {true, false}, new boolean[] {true, false}, true);
    }

    @SuppressWarnings("unchecked")
    private static Comparator<List<Object>> oracle(SortSpec spec) {
        Comparator<List<Object>> all = (a, b) -> 0;
        for (int k = 0; k < spec.keyCount(); k++) {
            int c = spec.column(k);
            Comparator<Object> values = (x, y) -> switch (x) {
                case Double a -> Double.compare(a, (Double) y);
                case String a -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), ((String) y).getBytes(StandardCharsets.UTF_8));
                default -> ((Comparable<Object>) x).compareTo(y);
            };
            Comparator<Object> dir = spec.descending(k) ? values.reversed() : values;
            Comparator<Object> nulls = spec.nullsFirst(k) ? Comparator.nullsFirst(dir) : Comparator.nullsLast(dir);
            all = all.thenComparing((a, b) -> nulls.compare(a.get(c), b.get(c)));
        }
        return all;
    }

    /** Sorts {@code rows} on two workers with the sort's own budget capped at {@code cap}; the result's rows. */
    private static List<List<Object>> externalSort(LeakCheck.TestMemory mem, MemoryBudget query, SpillDirectory dir, SortSpec spec,
            List<List<Object>> rows, long cap, double force) {
        OperatorContext ctx = OperatorContext.of(mem.pool(), query, dir).withBudget(query.child("sort", cap)).withOutputRows(128)
                .withForceSpill(force);
        List<List<Object>> out = new ArrayList<>();
        try (ExternalSort sort = new ExternalSort(spec, ctx, 2, 3)) {
            ExternalSort.Local a = sort.newLocal();
            ExternalSort.Local b = sort.newLocal();
            try (a; b) {
                for (int from = 0, seq = 0; from < rows.size(); from += MORSEL_ROWS, seq++) {
                    List<List<Object>> part = rows.subList(from, Math.min(rows.size(), from + MORSEL_ROWS));
                    sort.consume(seq % 2 == 0 ? a : b, RandomData.morsel(SCHEMA, part, seq, mem.pool(), query));
                }
                sort.combine(a);
                sort.combine(b);
            }
            sort.finishInput();
            for (long seq = 0;; seq++) {
                Morsel m = sort.next(seq);
                if (m == null) {
                    break;
                }
                try (m) {
                    out.addAll(RandomData.rowsOf(m));
                }
            }
        }
        return out;
    }

    /** The first {@code k} rows by top-k on two workers with the workers' budget capped at {@code cap}. */
    private static List<List<Object>> topK(LeakCheck.TestMemory mem, MemoryBudget query, SortSpec spec, List<List<Object>> rows,
            long k, long cap) {
        return topK(mem, query, spec, rows, k, cap, 128);
    }

    private static List<List<Object>> topK(LeakCheck.TestMemory mem, MemoryBudget query, SortSpec spec, List<List<Object>> rows,
            long k, long cap, int blockRows) {
        List<List<Object>> out = new ArrayList<>();
        try (TopK top = new TopK(spec, k, mem.pool(), query.child("top-k", cap), query, blockRows)) {
            TopK.Local a = top.newLocal();
            TopK.Local b = top.newLocal();
            try (a; b) {
                for (int from = 0, seq = 0; from < rows.size(); from += MORSEL_ROWS, seq++) {
                    List<List<Object>> part = rows.subList(from, Math.min(rows.size(), from + MORSEL_ROWS));
                    top.consume(seq % 2 == 0 ? a : b, RandomData.morsel(SCHEMA, part, seq, mem.pool(), query));
                }
                top.combine(a);
                top.combine(b);
            }
            top.finishInput();
            for (long seq = 0;; seq++) {
                Morsel m = top.next(seq);
                if (m == null) {
                    break;
                }
                try (m) {
                    out.addAll(RandomData.rowsOf(m));
                }
            }
        }
        return out;
    }

    @Test
    void sortsLikeAStableSortWithAndWithoutSpilling() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        LeakCheck.assertNoLeaks(mem -> {
            try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
                 MemoryBudget query = mem.budget().child("q");
                 SpillDirectory dir = sm.createQueryDirectory("q", query)) {
                for (boolean strings : new boolean[] {false, true}) {
                    List<List<Object>> rows = RandomData.rows(SCHEMA, 3000 + rnd.nextInt(2000), rnd, 0.1);
                    SortSpec spec = spec(strings);
                    List<List<Object>> expected = new ArrayList<>(rows);
                    expected.sort(oracle(spec));
                    for (double force : new double[] {0, 1}) {
                        assertEquals(expected, externalSort(mem, query, dir, spec, rows, MemoryBudget.UNLIMITED, force),
                                "strings " + strings + ", forced spill " + force + ", seed " + seed);
                    }
                    // k below, at and above the morsel size and the first cut (blockRows, or 4,096 rows when
                    // the blocks are larger): the first cut then takes part of a morsel.
                    for (int k : new int[] {1, 37, MORSEL_ROWS, 777}) {
                        for (int blockRows : new int[] {128, 1 << 17}) {
                            assertEquals(expected.subList(0, k), topK(mem, query, spec, rows, k, MemoryBudget.UNLIMITED, blockRows),
                                    "top-k " + k + ", block rows " + blockRows + ", strings " + strings + ", seed " + seed);
                        }
                    }
                }
            }
        });
    }

    @Test
    void aRefusedReservationAnywhereFailsTheSortAndReleasesEverything() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        LeakCheck.assertNoLeaks(mem -> {
            try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
                 MemoryBudget query = mem.budget().child("q");
                 SpillDirectory dir = sm.createQueryDirectory("q", query)) {
                List<List<Object>> rows = RandomData.rows(SCHEMA, 4000, rnd, 0.1);
                // The spill directory's compression scratch, held until it closes.
                long held = query.reserved();
                for (boolean strings : new boolean[] {false, true}) {
                    SortSpec spec = spec(strings);
                    List<List<Object>> expected = new ArrayList<>(rows);
                    expected.sort(oracle(spec));
                    for (double force : new double[] {0, 1}) {
                        int failed = 0;
                        int sorted = 0;
                        for (long cap = 8 << 10; cap <= 16L << 20; cap = cap * 6 / 5) {
                            String what = "cap " + cap + ", strings " + strings + ", forced spill " + force + ", seed " + seed;
                            try {
                                assertEquals(expected, externalSort(mem, query, dir, spec, rows, cap, force), what);
                                sorted++;
                            } catch (MemoryLimitExceededException e) {
                                failed++;
                            }
                            assertEquals(held, query.reserved(), "left charged after " + what + ":\n" + query.leakReport());
                            try {
                                assertEquals(expected.subList(0, 500), topK(mem, query, spec, rows, 500, cap), "top-k, " + what);
                            } catch (MemoryLimitExceededException e) {
                                failed++;
                            }
                            assertEquals(held, query.reserved(), "left charged after top-k, " + what + ":\n" + query.leakReport());
                        }
                        assertTrue(failed > 0 && sorted > 0, "the sweep crossed the refusal points: " + failed + " failed, "
                                + sorted + " sorted, seed " + seed);
                    }
                }
            }
        });
    }
}
