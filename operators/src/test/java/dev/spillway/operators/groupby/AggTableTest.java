package dev.spillway.operators.groupby;

import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.errors.MemoryLimitExceededException;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.memory.testing.RandomData;
import dev.spillway.operators.groupby.function.Extreme;
import dev.spillway.operators.groupby.function.Len;
import dev.spillway.operators.groupby.function.Sum;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory of one table: native, charged exactly as held, given back on close, and — when the
 * budget refuses a growth — nothing taken and the groups left as they were.
 */
class AggTableTest {
    /** Input (k, v, s); output (k, sum(v), len, min(s)). */
    private static final AggLayout LAYOUT = new AggLayout(List.of(Field.of("k", DataType.INT64)), List.of(
            new AggSpec(Sum.INSTANCE, DataType.FLOAT64, "sum"),
            new AggSpec(Len.INSTANCE, null, "len"),
            new AggSpec(Extreme.MIN, DataType.UTF8, "min")));
    private static final int MORSEL_ROWS = 1000;

    @Test
    void theBudgetIsChargedWhatTheTableHoldsUntilItCloses() {
        assertNoLeaks(mem -> {
            List<List<Object>> rows = rows(new Random(3), 40_000, 30_000);
            try (MemoryBudget budget = mem.budget().child("table")) {
                Map<Long, List<Object>> expected = new HashMap<>();
                try (AggTable table = new AggTable(LAYOUT, true, Integer.MAX_VALUE, mem.pool(), budget)) {
                    assertEquals(table.byteSize(), budget.reserved(), "an empty table holds its first room");
                    for (int i = 0; i < rows.size(); i += MORSEL_ROWS) {
                        List<List<Object>> batch = rows.subList(i, Math.min(rows.size(), i + MORSEL_ROWS));
                        add(mem, table, batch, i / MORSEL_ROWS);
                        fold(expected, batch);
                        assertEquals(table.byteSize(), budget.reserved(), "after morsel " + i / MORSEL_ROWS);
                    }
                    assertTrue(table.groups() > 20_000, "the table grew several times: " + table.groups());
                    assertEquals(expected, results(mem, table));
                }
                assertEquals(0, budget.reserved(), "closing the table gave everything back");
            }
        });
    }

    @Test
    void aRefusedGrowthTakesNothingAndLeavesTheGroupsAsTheyWere() {
        assertNoLeaks(mem -> {
            List<List<Object>> rows = rows(new Random(5), 60_000, 60_000);
            // About 64 bytes per group plus strings: the table cannot double past a few thousand groups.
            try (MemoryBudget budget = mem.budget().child("table", 320 << 10);
                 AggTable table = new AggTable(LAYOUT, true, Integer.MAX_VALUE, mem.pool(), budget)) {
                Map<Long, List<Object>> expected = new HashMap<>();
                int i = 0;
                MemoryLimitExceededException refused = null;
                while (refused == null && i < rows.size()) {
                    List<List<Object>> batch = rows.subList(i, Math.min(rows.size(), i + MORSEL_ROWS));
                    try {
                        add(mem, table, batch, i / MORSEL_ROWS);
                        fold(expected, batch);
                        i += MORSEL_ROWS;
                    } catch (MemoryLimitExceededException e) {
                        refused = e;
                    }
                }
                assertTrue(refused != null, "the budget refused a growth");
                assertEquals(table.byteSize(), budget.reserved(), "the refused growth holds nothing");
                // The refused morsel updated no state; the groups it inserted before the refusal start empty.
                Map<Long, List<Object>> got = results(mem, table);
                assertEquals(table.groups(), got.size());
                for (Map.Entry<Long, List<Object>> e : got.entrySet()) {
                    List<Object> want = expected.get(e.getKey());
                    assertEquals(want == null ? Arrays.asList(null, 0L, null) : want, e.getValue(), "key " + e.getKey());
                }
                assertTrue(got.keySet().containsAll(expected.keySet()), "no group was lost");
            }
        });
    }

    private static void add(LeakCheck.TestMemory mem, AggTable table, List<List<Object>> batch, int sequence) {
        try (Morsel m = RandomData.morsel(LAYOUT.inputSchema(), batch, sequence, mem.pool(), mem.budget())) {
            int from = table.addInput(m, 0, (long) sequence << 32, AggTable.MAIN);
            assertEquals(m.rowCount(), from, "a growing table takes every row");
        }
    }

    /** Rows (k, v, s): whole-number values so that sums are exact in any order. */
    private static List<List<Object>> rows(Random rnd, int n, int keys) {
        List<List<Object>> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            rows.add(Arrays.asList((long) rnd.nextInt(keys), (double) rnd.nextInt(1000), "s" + rnd.nextInt(10_000)));
        }
        return rows;
    }

    /** Adds {@code batch} to the expected (sum, len, min) per key. */
    private static void fold(Map<Long, List<Object>> expected, List<List<Object>> batch) {
        for (List<Object> r : batch) {
            List<Object> v = expected.computeIfAbsent((Long) r.get(0), k -> new ArrayList<>(Arrays.asList(0.0, 0L, null)));
            v.set(0, (Double) v.get(0) + (Double) r.get(1));
            v.set(1, (Long) v.get(1) + 1);
            String s = (String) r.get(2);
            if (v.get(2) == null || s.compareTo((String) v.get(2)) < 0) {
                v.set(2, s);
            }
        }
    }

    /** The table's result rows by key. */
    private static Map<Long, List<Object>> results(LeakCheck.TestMemory mem, AggTable table) {
        Map<Long, List<Object>> out = new HashMap<>();
        try (Morsel m = table.results(0, table.groups(), mem.pool(), mem.budget(), 0)) {
            for (List<Object> r : RandomData.rowsOf(m)) {
                assertNull(out.put((Long) r.get(0), new ArrayList<>(r.subList(1, r.size()))), "key " + r.get(0) + " once");
            }
        }
        return out;
    }
}
