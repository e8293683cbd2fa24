package dev.spillway.operators.groupby;

import dev.spillway.event.AggregationInputComplete;
import dev.spillway.event.EventSink;
import dev.spillway.event.PartitionEvicted;
import dev.spillway.event.PartitionMerging;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.MemoryManager;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.memory.testing.RandomData;
import dev.spillway.operators.OperatorContext;
import dev.spillway.operators.groupby.function.Count;
import dev.spillway.operators.groupby.function.Extreme;
import dev.spillway.operators.groupby.function.Len;
import dev.spillway.operators.groupby.function.NUnique;
import dev.spillway.operators.groupby.function.Positional;
import dev.spillway.operators.groupby.function.Sum;
import dev.spillway.spill.SpillConfig;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillManager;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The aggregation driven directly: forced and pressure spilling, events, bounded output, clean-up. */
class HashAggregationTest {
    private static final AggLayout LAYOUT = new AggLayout(List.of(Field.of("k", DataType.INT64)), List.of(
            new AggSpec(Sum.INSTANCE, DataType.FLOAT64, "sum"),
            new AggSpec(Count.INSTANCE, DataType.UTF8, "count"),
            new AggSpec(Len.INSTANCE, null, "len"),
            new AggSpec(Positional.FIRST, DataType.UTF8, "first"),
            new AggSpec(Positional.LAST, DataType.FLOAT64, "last"),
            new AggSpec(NUnique.INSTANCE, DataType.INT64, "nu"),
            new AggSpec(Extreme.MIN, DataType.UTF8, "min")));

    @Test
    void forcedSpillGivesTheSameGroupsAndReportsEachPhase() {
        assertNoLeaks(mem -> {
            List<List<Object>> rows = new ArrayList<>();
            for (int i = 0; i < 20_000; i++) {
                Long k = i % 701 == 5 ? null : (long) (i % 700);
                String str = i % 3 == 0 ? null : "s" + (i % 50);
                rows.add(Arrays.asList(k, i / 4.0, str, str, i / 4.0, (long) (i % 9), "m" + i));
            }
            List<List<Object>> inMemory = run(mem, rows, 0, null, 1000);
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            List<List<Object>> spilled = run(mem, rows, 1.0, events, 1000);
            assertEquals(sorted(inMemory), sorted(spilled));
            assertEquals(701, inMemory.size(), "700 keys and the null key");
            List<Object> zero = inMemory.stream().filter(r -> Long.valueOf(0).equals(r.get(0))).findFirst().orElseThrow();
            // Key 0 holds rows 0, 700, 1400, ..., 19600 of each of the two copies.
            assertEquals(58L, zero.get(3), "len");
            assertEquals(null, zero.get(4), "first: row 0 has a null string");
            assertEquals(19_600 / 4.0, zero.get(5), "last");
            assertEquals(9L, zero.get(6), "n_unique of i % 9 over 29 rows");
            String log = events.toString();
            assertTrue(events.stream().anyMatch(e -> e instanceof PartitionEvicted p && p.component().equals("group-by")), log);
            assertTrue(events.stream().anyMatch(e -> e instanceof AggregationInputComplete a && a.component().equals("group-by")
                    && a.rows() == 40000 && a.partitionsSpilled() == 256 && a.partitions() == 256), log);
            assertTrue(events.stream().anyMatch(e -> e instanceof PartitionMerging p && p.component().equals("group-by")), log);
        });
    }

    @Test
    void memoryPressureSpillsPartitionsAndStaysUnderTheCap() {
        long cap = 6L << 20;
        LeakCheck.assertNoLeaks(cap, mem -> {
            List<List<Object>> rows = new ArrayList<>();
            for (int i = 0; i < 60_000; i++) {
                rows.add(Arrays.asList((long) i * 7, 1.0, "x", "x", (double) i, (long) i, "min-value-" + i));
            }
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            List<List<Object>> out = run(mem, rows, 0, events, 4096);
            assertEquals(60_000, out.size());
            for (List<Object> r : out) {
                assertEquals(1.0, r.get(1));
                assertEquals(1L, r.get(6));
            }
            assertTrue(events.stream().anyMatch(e -> e instanceof PartitionEvicted p && p.component().equals("group-by")),
                    "pressure spilled partitions");
            assertTrue(mem.budget().peak() <= cap, "peak " + mem.budget().peak());
        });
    }

    private static List<String> sorted(List<List<Object>> rows) {
        return rows.stream().map(Object::toString).sorted().toList();
    }

    /** Feeds the rows twice over (two workers' tables), so each key holds both copies. */
    private static List<List<Object>> run(LeakCheck.TestMemory mem, List<List<Object>> rows, double forceSpill,
            List<SpillwayEvent> events, int morselRows) {
        List<List<Object>> out = new ArrayList<>();
        boolean twice = forceSpill > 0 || events == null;
        try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
             MemoryBudget query = mem.budget().child("q");
             MemoryManager manager = new MemoryManager(query);
             SpillDirectory dir = sm.createQueryDirectory("q", query)) {
            HashAggregation agg = new HashAggregation(LAYOUT, OperatorContext.of(mem.pool(), query, dir).child("agg")
                    .withEvents(events == null ? EventSink.NONE : events::add).withOutputRows(512).withForceSpill(forceSpill), 1);
            try (agg) {
                manager.register(agg);
                try (AutoCloseable a = agg.newLocal(); AutoCloseable b = agg.newLocal()) {
                    long seq = 0;
                    for (int copy = 0; copy < (twice ? 2 : 1); copy++) {
                        for (int i = 0; i < rows.size(); i += morselRows) {
                            Morsel m = RandomData.morsel(LAYOUT.inputSchema(), rows.subList(i, Math.min(rows.size(),
                                    i + morselRows)), copy == 0 ? seq++ : 1_000_000 + seq++, mem.pool(), query);
                            agg.consume((seq & 1) == 0 ? a : b, m);
                        }
                    }
                    agg.combine(a);
                    agg.combine(b);
                }
                agg.finishInput();
                for (Morsel m = agg.next(); m != null; m = agg.next()) {
                    try (Morsel r = m) {
                        assertTrue(r.rowCount() <= 512, "output morsels stay small");
                        out.addAll(RandomData.rowsOf(r));
                    }
                }
                assertTrue(agg.isDone(), "one puller sees the end, never a transient null");
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return out;
    }
}
