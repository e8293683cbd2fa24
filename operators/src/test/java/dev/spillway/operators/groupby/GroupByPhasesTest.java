package dev.spillway.operators.groupby;

import dev.spillway.event.EventSink;
import dev.spillway.event.PartitionMerging;
import dev.spillway.event.PartitionSplit;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.memory.testing.RandomData;
import dev.spillway.operators.FinalizeQueue;
import dev.spillway.operators.OperatorContext;
import dev.spillway.operators.groupby.function.Extreme;
import dev.spillway.operators.groupby.function.Len;
import dev.spillway.operators.groupby.function.NUnique;
import dev.spillway.operators.groupby.function.Sum;
import dev.spillway.scheduler.QueryContext;
import dev.spillway.scheduler.TaskContext;
import dev.spillway.spill.PartitionedStore;
import dev.spillway.spill.SpillConfig;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillManager;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each phase of the aggregation driven alone — the pre-aggregation into a store, the merge of one
 * partition — and the whole of it pulled by several threads at once, against a java.util oracle,
 * with and without forced spilling.
 */
class GroupByPhasesTest {
    /** Input (k, v, s, u); output (k, sum(v), len, min(s)). */
    private static final AggLayout PLAIN = new AggLayout(List.of(Field.of("k", DataType.INT64)), List.of(
            new AggSpec(Sum.INSTANCE, DataType.FLOAT64, "sum"),
            new AggSpec(Len.INSTANCE, null, "len"),
            new AggSpec(Extreme.MIN, DataType.UTF8, "min")));
    /** Input (k, v, s, u); output (k, sum(v), len, min(s), n_unique(u)). */
    private static final AggLayout DISTINCT = new AggLayout(List.of(Field.of("k", DataType.INT64)), List.of(
            new AggSpec(Sum.INSTANCE, DataType.FLOAT64, "sum"),
            new AggSpec(Len.INSTANCE, null, "len"),
            new AggSpec(Extreme.MIN, DataType.UTF8, "min"),
            new AggSpec(NUnique.INSTANCE, DataType.INT64, "nu")));
    /** No keys: one row of (sum(v), len, n_unique(u)). */
    private static final AggLayout GLOBAL = new AggLayout(List.of(), List.of(
            new AggSpec(Sum.INSTANCE, DataType.FLOAT64, "sum"),
            new AggSpec(Len.INSTANCE, null, "len"),
            new AggSpec(NUnique.INSTANCE, DataType.INT64, "nu")));

    // ================================================================== pre-aggregation alone

    @Test
    void preAggregationFlushesEveryGroupIntoItsKeysPartition() {
        for (double force : new double[] {0, 1}) {
            assertNoLeaks(mem -> {
                List<List<Object>> rows = input(new Random(11), 30_000, 4_000);
                try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
                     MemoryBudget budget = mem.budget().child("pre");
                     SpillDirectory dir = sm.createQueryDirectory("q", budget);
                     PartitionedStore store = OperatorContext.of(mem.pool(), budget, dir).withForceSpill(force)
                             .store(HashAggregation.COMPONENT, PLAIN.partialSchema()).partitioned(Hashing.PARTITION_BITS, 0, null)) {
                    PreAggregation pre = new PreAggregation(PLAIN, mem.pool(), budget, store, false);
                    AggTable a = pre.newLocal();
                    AggTable b = pre.newLocal();
                    feed(pre, List.of(a, b), PLAIN, rows, 500, mem);
                    pre.combine(a);
                    pre.combine(b);
                    store.finishInput();
                    assertEquals(rows.size(), pre.inputRows());
                    assertTrue(pre.partialRows() >= 4_000, "every group reached the store at least once");
                    long stored = 0;
                    try (AggTable merged = new AggTable(PLAIN, true, Integer.MAX_VALUE, mem.pool(), budget)) {
                        for (int p = 0; p < store.unitCount(); p++) {
                            stored += store.rows(p);
                            if (force == 1 && store.rows(p) > 0) {
                                assertTrue(store.spilled(p), "forced: partition " + p + " is on disk");
                                assertEquals(0, store.bytes(p));
                            }
                            for (Morsel m : partitionRows(store, p, budget)) {
                                try (m) {
                                    long[] h = new long[m.rowCount()];
                                    Hashing.hashColumn(m.column(0), h, false);
                                    for (int r = 0; r < h.length; r++) {
                                        assertEquals(p, Hashing.partition(h[r]), "a partial row lies in its keys' partition");
                                    }
                                    merged.addPartials(m);
                                }
                            }
                            store.release(p);
                        }
                        assertEquals(pre.partialRows(), stored, "the store holds every flushed partial row");
                        try (Morsel out = merged.results(0, merged.groups(), mem.pool(), budget, 0)) {
                            assertEquals(oracle(rows, false), byKey(RandomData.rowsOf(out), 1));
                        }
                    }
                    assertEquals(0, store.fileCount(), "releasing every partition deleted the files");
                }
            });
        }
    }

    // ================================================================== partition merge alone

    @Test
    void eachPartitionMergesAloneAndEmitsItsGroupsInBoundedMorsels() {
        for (double force : new double[] {0, 1}) {
            assertNoLeaks(mem -> {
                List<List<Object>> rows = input(new Random(12), 40_000, 6_000);
                Map<Long, List<Object>> got = new TreeMap<>();
                try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
                     MemoryBudget query = mem.budget().child("q");
                     SpillDirectory dir = sm.createQueryDirectory("q", query);
                     HashAggregation agg = new HashAggregation(PLAIN, OperatorContext.of(mem.pool(), query, dir).child("agg")
                             .withOutputRows(50).withForceSpill(force), 1);
                     FinalizeQueue unused = new FinalizeQueue(1, new AtomicLong())) {
                    AggTable local = agg.pre.newLocal();
                    feed(agg.pre, List.of(local), PLAIN, rows, 700, mem);
                    agg.pre.combine(local);
                    agg.store.finishInput();
                    int merged = 0;
                    for (int p = 0; p < agg.store.unitCount(); p++) {
                        if (agg.store.rows(p) == 0) {
                            continue;
                        }
                        long laterRows = laterRows(agg.store, p);
                        long spillable = agg.store.spillableBytes();
                        PartitionMerge unit = new PartitionMerge(agg, p, null);
                        long seq = 0;
                        for (Morsel m = unit.next(seq++, unused); m != null; m = unit.next(seq++, unused)) {
                            try (Morsel out = m) {
                                assertTrue(out.rowCount() <= 50, "at most outputRows groups per morsel");
                                for (List<Object> r : RandomData.rowsOf(out)) {
                                    assertNull(got.put((Long) r.get(0), r.subList(1, r.size())), "a group comes from one partition once");
                                }
                            }
                        }
                        assertNull(unit.next(seq, unused), "a finished unit stays finished");
                        unit.close();
                        merged++;
                        assertEquals(0, agg.store.bytes(p), "the merged partition was released");
                        assertEquals(laterRows, laterRows(agg.store, p), "partitions not started are untouched");
                        assertTrue(agg.store.spillableBytes() <= spillable, "only the merged partition left the evictable set");
                        if (force == 0 && p + 1 < agg.store.unitCount() && laterRows > 0) {
                            assertTrue(agg.store.spillableBytes() > 0, "partitions not started stay evictable");
                        }
                    }
                    assertTrue(merged > 200, "6,000 keys spread over most partitions: " + merged);
                    assertEquals(0, agg.store.fileCount(), "every merged partition's blocks were dropped");
                }
                assertEquals(oracle(rows, false), got);
            });
        }
    }

    // ================================================================== parallel pullers

    @Test
    void concurrentPullersOfTheSourceGetEveryGroupExactlyOnce() throws Exception {
        for (AggLayout layout : List.of(PLAIN, DISTINCT)) {
            for (double force : new double[] {0, 0.5, 1}) {
                assertNoLeaks(mem -> {
                    List<List<Object>> rows = input(new Random(13), 50_000, 8_000);
                    List<List<Object>> out = pullConcurrently(mem, layout, rows, force, 4, 3);
                    assertEquals(oracle(rows, layout == DISTINCT), byKey(out, 1), "layout " + layout.outputSchema() + " force " + force);
                });
            }
        }
    }

    @Test
    void partitionsTooLargeForTheirShareAreSplitAndStayExact() throws Exception {
        for (double force : new double[] {0, 1}) {
            assertNoLeaks(mem -> {
                List<List<Object>> rows = input(new Random(15), 5_000, 1_500);
                List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
                // About 6 groups (some 400 bytes of merge table) per partition against a share of 64
                // bytes: every partition splits, and its sub-partitions of two groups or more split
                // again.
                List<List<Object>> out = pullConcurrently(mem, PLAIN, rows, force, 3, 2, 64, events::add);
                assertEquals(oracle(rows, false), byKey(out, 1), "force " + force);
                List<PartitionSplit> splits = events.stream().filter(e -> e instanceof PartitionSplit)
                        .map(e -> (PartitionSplit) e).toList();
                assertTrue(splits.stream().anyMatch(s -> s.level() == 1), "first-level splits: " + splits.size());
                assertTrue(splits.stream().anyMatch(s -> s.level() == 2 && s.partition().contains(".")),
                        "sub-partitions split again, labelled parent.sub");
                assertTrue(splits.stream().allMatch(s -> s.estimatedBytes() > s.shareBytes() && s.shareBytes() <= 64));
                assertTrue(events.stream().anyMatch(e -> e instanceof PartitionMerging m && m.partition().chars().filter(c -> c == '.').count() == 2),
                        "level-2 sub-partitions were merged");
            });
        }
    }

    @Test
    void aGlobalAggregateYieldsOneRowOnceWithParallelPullers() throws Exception {
        for (double force : new double[] {0, 1}) {
            assertNoLeaks(mem -> {
                List<List<Object>> none = pullConcurrently(mem, GLOBAL, List.of(), force, 4, 4);
                assertEquals(List.of(Arrays.asList(null, 0L, 0L)), none, "the one row of an aggregate over no rows");
                List<List<Object>> rows = input(new Random(14), 20_000, 50);
                List<List<Object>> one = pullConcurrently(mem, GLOBAL, rows, force, 4, 4);
                double sum = 0;
                Set<Long> distinct = new HashSet<>();
                for (List<Object> r : rows) {
                    sum += (Double) r.get(1);
                    distinct.add((Long) r.get(3));
                }
                assertEquals(List.of(Arrays.asList(sum, (long) rows.size(), (long) distinct.size())), one);
            });
        }
    }

    /**
     * Aggregates {@code rows} (as (k, v, s, u); (v, u) for a key-less layout) and
     * pulls the result through a {@link GroupBySource} from {@code threads} threads at once, with
     * {@code workers} partitions merging at most.
     */
    private static List<List<Object>> pullConcurrently(LeakCheck.TestMemory mem, AggLayout layout, List<List<Object>> rows,
            double force, int threads, int workers) throws Exception {
        return pullConcurrently(mem, layout, rows, force, threads, workers, 0, e -> { });
    }

    /** As above, with the merge share capped at {@code shareLimit} bytes (0: none) and the events sent to {@code events}. */
    private static List<List<Object>> pullConcurrently(LeakCheck.TestMemory mem, AggLayout layout, List<List<Object>> rows,
            double force, int threads, int workers, long shareLimit, EventSink events) throws Exception {
        List<List<Object>> out = new CopyOnWriteArrayList<>();
        Set<Long> sequences = ConcurrentHashMap.newKeySet();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
             MemoryBudget query = mem.budget().child("q");
             SpillDirectory dir = sm.createQueryDirectory("q", query)) {
            HashAggregation agg = new HashAggregation(layout, OperatorContext.of(mem.pool(), query, dir).child("agg")
                    .withOutputRows(64).withForceSpill(force).withEvents(events), workers);
            agg.limitMergeShare(shareLimit);
            try (GroupBySource source = new GroupBySource(agg)) {
                List<List<Object>> input = layout.keyCount() == 0
                        ? rows.stream().map(r -> List.of(r.get(1), r.get(3))).toList() : rows;
                try (AutoCloseable a = agg.newLocal(); AutoCloseable b = agg.newLocal()) {
                    for (int i = 0; i < input.size(); i += 900) {
                        agg.consume(i % 1800 == 0 ? a : b, RandomData.morsel(layout.inputSchema(),
                                input.subList(i, Math.min(input.size(), i + 900)), i / 900, mem.pool(), query));
                    }
                    agg.combine(a);
                    agg.combine(b);
                }
                agg.finishInput();
                List<Thread> pullers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    TaskContext ctx = new TaskContext(t, new QueryContext("q"));
                    pullers.add(Thread.ofPlatform().start(() -> {
                        try {
                            while (true) {
                                Morsel m = source.next(ctx);
                                if (m == null) {
                                    if (source.isExhausted()) {
                                        return;
                                    }
                                    Thread.onSpinWait();
                                    continue;
                                }
                                try (m) {
                                    assertTrue(sequences.add(m.sequence()), "sequence numbers are unique");
                                    out.addAll(RandomData.rowsOf(m));
                                }
                            }
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    }));
                }
                for (Thread t : pullers) {
                    t.join();
                }
                assertEquals(List.of(), failures);
                assertTrue(agg.isDone());
                assertEquals(LongStream.range(0, sequences.size()).boxed().toList(), sequences.stream().sorted().toList(),
                        "dense sequence numbers from 0, as ordered sinks need");
            }
        }
        return out;
    }

    // ================================================================== helpers

    /** Rows (k, v, s, u) over {@code keys} keys; v whole numbers so sums are exact in any order. */
    private static List<List<Object>> input(Random rnd, int n, int keys) {
        List<List<Object>> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            rows.add(Arrays.asList((long) rnd.nextInt(keys), (double) rnd.nextInt(1000), "s" + rnd.nextInt(10_000),
                    (long) rnd.nextInt(20)));
        }
        return rows;
    }

    private static void feed(PreAggregation pre, List<AggTable> locals, AggLayout layout, List<List<Object>> rows, int morselRows,
            LeakCheck.TestMemory mem) {
        for (int i = 0, m = 0; i < rows.size(); i += morselRows, m++) {
            pre.consume(locals.get(m % locals.size()), RandomData.morsel(layout.inputSchema(),
                    rows.subList(i, Math.min(rows.size(), i + morselRows)), m, mem.pool(), mem.budget()));
        }
    }

    /** The in-memory and spilled partial rows of partition {@code p} (the caller closes them). */
    private static List<Morsel> partitionRows(PartitionedStore store, int p, MemoryBudget budget) {
        List<Morsel> all = new ArrayList<>(store.take(p));
        for (Iterator<Morsel> it = store.readSpilled(p, budget); it.hasNext(); ) {
            all.add(it.next());
        }
        return all;
    }

    private static long laterRows(PartitionedStore store, int p) {
        long n = 0;
        for (int q = p + 1; q < store.unitCount(); q++) {
            n += store.rows(q);
        }
        return n;
    }

    /** The expected (sum, len, min[, n_unique]) per key. */
    private static Map<Long, List<Object>> oracle(List<List<Object>> rows, boolean distinct) {
        Map<Long, double[]> sums = new HashMap<>();
        Map<Long, String> mins = new HashMap<>();
        Map<Long, Set<Long>> uniques = new HashMap<>();
        for (List<Object> r : rows) {
            Long k = (Long) r.get(0);
            double[] s = sums.computeIfAbsent(k, x -> new double[2]);
            s[0] += (Double) r.get(1);
            s[1]++;
            mins.merge(k, (String) r.get(2), (x, y) -> x.compareTo(y) <= 0 ? x : y);
            uniques.computeIfAbsent(k, x -> new HashSet<>()).add((Long) r.get(3));
        }
        Map<Long, List<Object>> out = new TreeMap<>();
        sums.forEach((k, s) -> {
            List<Object> v = new ArrayList<>(List.of(s[0], (long) s[1], mins.get(k)));
            if (distinct) {
                v.add((long) uniques.get(k).size());
            }
            out.put(k, v);
        });
        return out;
    }

    /** Result rows by their key (column 0), the values from column {@code from} on. */
    private static Map<Long, List<Object>> byKey(List<List<Object>> rows, int from) {
        Map<Long, List<Object>> out = new TreeMap<>();
        for (List<Object> r : rows) {
            assertNull(out.put((Long) r.get(0), new ArrayList<>(r.subList(from, r.size()))), "key " + r.get(0) + " once");
        }
        return out;
    }
}
