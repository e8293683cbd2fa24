package dev.spillway.operators.join;

import dev.spillway.options.JoinType;

import dev.spillway.event.BlocksEvicted;
import dev.spillway.event.NestedLoopFinished;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.MemoryManager;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.memory.testing.RandomData;
import dev.spillway.operators.OperatorContext;
import dev.spillway.expr.BinaryOp;
import dev.spillway.operators.eval.PhysicalExpr;
import dev.spillway.operators.eval.PhysicalExprs;
import dev.spillway.scheduler.QueryContext;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;
import dev.spillway.spill.SpillConfig;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillManager;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The block nested-loop join driven directly: every type against an oracle, spilled blocks, bounded steps. */
class NestedLoopJoinTest {
    private static final Schema PROBE = Schema.of(Field.of("x", DataType.INT64), Field.of("p", DataType.UTF8));
    private static final Schema BUILD = Schema.of(Field.of("y", DataType.INT64), Field.of("b", DataType.FLOAT64));
    /** The predicate reads probe x and build y: {@code x < y and y < x + 10}. */
    private static final PairLayout PREDICATE_COLUMNS = new PairLayout(Schema.of(Field.of("x", DataType.INT64),
            Field.of("y", DataType.INT64)), new boolean[] {false, true}, new int[] {0, 0});
    private static final PairLayout PAIRS = new PairLayout(Schema.of(Field.of("x", DataType.INT64), Field.of("p", DataType.UTF8),
            Field.of("y", DataType.INT64), Field.of("b", DataType.FLOAT64)), new boolean[] {false, false, true, true},
            new int[] {0, 1, 0, 1});
    private static final PairLayout PROBE_ONLY = new PairLayout(PROBE, new boolean[] {false, false}, new int[] {0, 1});

    private static PhysicalExpr rangePredicate() {
        PhysicalExpr x = PhysicalExprs.column(0, "x", DataType.INT64);
        PhysicalExpr y = PhysicalExprs.column(1, "y", DataType.INT64);
        return PhysicalExprs.binary(BinaryOp.AND, PhysicalExprs.binary(BinaryOp.LT, x, y),
                PhysicalExprs.binary(BinaryOp.LT, y, PhysicalExprs.binary(BinaryOp.PLUS, x,
                        PhysicalExprs.literal(10L, DataType.INT64))));
    }

    private static List<List<Object>> rows(Random rnd, int n, boolean probe) {
        List<List<Object>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Long k = rnd.nextInt(20) == 0 ? null : (long) rnd.nextInt(300);
            out.add(probe ? Arrays.asList(k, "p" + i) : Arrays.asList(k, i / 4.0));
        }
        return out;
    }

    /** The oracle: nested loops over lists; a null operand never matches. */
    private static List<List<Object>> oracle(List<List<Object>> probe, List<List<Object>> build, JoinType type, boolean cross) {
        List<List<Object>> out = new ArrayList<>();
        boolean[] buildMatched = new boolean[build.size()];
        for (List<Object> p : probe) {
            boolean any = false;
            for (int bi = 0; bi < build.size(); bi++) {
                List<Object> b = build.get(bi);
                Long x = (Long) p.get(0);
                Long y = (Long) b.get(0);
                boolean match = cross || (x != null && y != null && x < y && y < x + 10);
                if (match) {
                    any = true;
                    buildMatched[bi] = true;
                    if (type.emitsPairs()) {
                        List<Object> row = new ArrayList<>(p);
                        row.addAll(b);
                        out.add(row);
                    }
                }
            }
            if ((type == JoinType.SEMI && any) || (type == JoinType.ANTI && !any)) {
                out.add(p);
            } else if (type.keepsUnmatchedLeft() && !any) {
                out.add(Arrays.asList(p.get(0), p.get(1), null, null));
            }
        }
        if (type.keepsUnmatchedRight()) {
            for (int bi = 0; bi < build.size(); bi++) {
                if (!buildMatched[bi]) {
                    out.add(Arrays.asList(null, null, build.get(bi).get(0), build.get(bi).get(1)));
                }
            }
        }
        return out;
    }

    private static List<String> sorted(List<List<Object>> rows) {
        return rows.stream().map(Object::toString).sorted().toList();
    }

    private static List<List<Object>> run(LeakCheck.TestMemory mem, List<List<Object>> probe, List<List<Object>> build,
            JoinType type, boolean cross, double forceSpill, int outputRows, List<SpillwayEvent> events) {
        List<List<Object>> out = new ArrayList<>();
        try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
             MemoryBudget query = mem.budget().child("q");
             SpillDirectory dir = sm.createQueryDirectory("q", query)) {
            NestedLoopJoin join = new NestedLoopJoin(BUILD, type, cross ? null : rangePredicate(), PREDICATE_COLUMNS,
                    type.leftColumnsOnly() ? PROBE_ONLY : PAIRS,
                    OperatorContext.of(mem.pool(), query, dir).child("nlj").withEvents(events::add).withOutputRows(outputRows));
            try (join) {
                join.forceSpill(forceSpill);
                try (NestedLoopJoin.BuildBuffer buf = join.newBuildBuffer()) {
                    for (int i = 0; i < build.size(); i += 97) {
                        buf.add(RandomData.morsel(BUILD, build.subList(i, Math.min(build.size(), i + 97)), i, mem.pool(), query));
                    }
                    buf.flush();
                }
                join.finishBuild();
                for (int i = 0; i < probe.size(); i += 150) {
                    NestedLoopJoin.Cursor c = join.startProbe(RandomData.morsel(PROBE, probe.subList(i, Math.min(probe.size(),
                            i + 150)), i, mem.pool(), query));
                    try (c) {
                        while (!c.done()) {
                            try (Morsel m = c.next(0)) {
                                assertTrue(m.rowCount() <= outputRows, "steps stay within " + outputRows + " rows");
                                out.addAll(RandomData.rowsOf(m));
                            }
                        }
                    }
                }
                if (join.emitsUnmatchedBuild()) {
                    // Blocks in reverse, to show that the bits follow the rows whatever the order.
                    for (int b = join.blockCount() - 1; b >= 0; b--) {
                        try (NestedLoopJoin.UnmatchedRows u = join.startUnmatched(b)) {
                            while (!u.done()) {
                                try (Morsel m = u.next(0)) {
                                    assertTrue(m.rowCount() <= outputRows, "steps stay within " + outputRows + " rows");
                                    out.addAll(RandomData.rowsOf(m));
                                }
                            }
                        }
                    }
                    assertTrue(join.unmatchedBuildRows() <= build.size(), "unmatched build rows at most once each");
                }
            }
        }
        return out;
    }

    @Test
    void everyTypeMatchesTheOracleWithAndWithoutSpilledBlocks() {
        for (long seed : new long[] {42, 20261126}) {
            Random rnd = new Random(seed);
            List<List<Object>> probe = rows(rnd, 400, true);
            List<List<Object>> build = rows(rnd, 500, false);
            for (JoinType type : JoinType.values()) {
                List<String> expected = sorted(oracle(probe, build, type, false));
                for (double force : new double[] {0, 0.5, 1.0}) {
                    List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
                    List<String> got = assertNoLeaksReturning(mem -> sorted(run(mem, probe, build, type, false, force, 333,
                            events)));
                    assertEquals(expected, got, "seed " + seed + " " + type + " forceSpill=" + force);
                    String log = events.toString();
                    if (force > 0) {
                        assertTrue(events.stream().anyMatch(e -> e instanceof BlocksEvicted), log);
                        assertTrue(events.stream().noneMatch(e -> e instanceof NestedLoopFinished f && f.readBackBlocks() == 0),
                                "spilled blocks were read back: " + log);
                    } else {
                        assertTrue(events.stream().anyMatch(e -> e instanceof NestedLoopFinished f && f.spilledBlocks() == 0
                                && f.readBackBlocks() == 0), log);
                    }
                }
            }
        }
    }

    /**
     * RIGHT and FULL driven through {@link NestedLoopProbeSource} by four threads at once, with
     * half the blocks spilled: the build rows' bits are set by concurrent cursors and read by the
     * second phase, whose blocks the pullers claim concurrently; every row comes out exactly once.
     */
    @Test
    void rightAndFullUnderConcurrentPullersMatchTheOracle() {
        for (long seed : new long[] {77, System.nanoTime()}) {
            Random rnd = new Random(seed);
            List<List<Object>> probe = rows(rnd, 600, true);
            List<List<Object>> build = rows(rnd, 700, false);
            for (JoinType type : new JoinType[] {JoinType.RIGHT, JoinType.FULL}) {
                List<String> expected = sorted(oracle(probe, build, type, false));
                for (int round = 0; round < 3; round++) {
                    List<String> got = assertNoLeaksReturning(mem -> sorted(runConcurrently(mem, probe, build, type, 4)));
                    assertEquals(expected, got, "seed " + seed + " " + type + " round " + round);
                }
            }
        }
    }

    private static List<List<Object>> runConcurrently(LeakCheck.TestMemory mem, List<List<Object>> probe, List<List<Object>> build,
            JoinType type, int threads) {
        List<List<Object>> out = new CopyOnWriteArrayList<>();
        try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
             MemoryBudget query = mem.budget().child("q");
             SpillDirectory dir = sm.createQueryDirectory("q", query)) {
            NestedLoopJoin join = new NestedLoopJoin(BUILD, type, rangePredicate(), PREDICATE_COLUMNS, PAIRS,
                    OperatorContext.of(mem.pool(), query, dir).child("nlj").withOutputRows(64));
            join.forceSpill(0.5);
            try (NestedLoopJoin.BuildBuffer buf = join.newBuildBuffer()) {
                for (int i = 0; i < build.size(); i += 50) {
                    buf.add(RandomData.morsel(BUILD, build.subList(i, Math.min(build.size(), i + 50)), i, mem.pool(), query));
                }
                buf.flush();
            }
            join.finishBuild();
            AtomicInteger nextProbe = new AtomicInteger();
            Source input = new Source() {
                @Override
                public String name() {
                    return "probe rows";
                }

                @Override
                public Morsel next(TaskContext ctx) {
                    int k = nextProbe.getAndIncrement();
                    int from = k * 40;
                    if (from >= probe.size()) {
                        return null;
                    }
                    return RandomData.morsel(PROBE, probe.subList(from, Math.min(probe.size(), from + 40)), k, mem.pool(), query);
                }
            };
            QueryContext qc = new QueryContext("t");
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            try (NestedLoopProbeSource source = new NestedLoopProbeSource(input, join, threads)) {
                List<Thread> pullers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    TaskContext ctx = new TaskContext(t, qc);
                    pullers.add(Thread.ofPlatform().start(() -> {
                        try {
                            for (Morsel next = source.next(ctx); next != null; next = source.next(ctx)) {
                                try (Morsel m = next) {
                                    out.addAll(RandomData.rowsOf(m));
                                }
                            }
                        } catch (Throwable e) {
                            errors.add(e);
                        }
                    }));
                }
                for (Thread p : pullers) {
                    p.join();
                }
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            assertEquals(List.of(), errors);
        }
        return out;
    }

    @Test
    void crossJoinProducesEveryPairInBoundedSteps() {
        Random rnd = new Random(7);
        List<List<Object>> probe = rows(rnd, 160, true);
        List<List<Object>> build = rows(rnd, 130, false);
        List<String> expected = sorted(oracle(probe, build, JoinType.INNER, true));
        assertEquals(160 * 130, expected.size());
        for (double force : new double[] {0, 1.0}) {
            List<String> got = assertNoLeaksReturning(mem -> sorted(run(mem, probe, build, JoinType.INNER, true, force, 1000,
                    new CopyOnWriteArrayList<>())));
            assertEquals(expected, got, "forceSpill=" + force);
        }
    }

    @Test
    void aStepExaminesNoMorePairsThanOneChunkBeyondItsOutput() {
        assertNoLeaks(mem -> {
            try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
                 MemoryBudget query = mem.budget().child("q");
                 SpillDirectory dir = sm.createQueryDirectory("q", query);
                 NestedLoopJoin join = new NestedLoopJoin(BUILD, JoinType.INNER, null, PREDICATE_COLUMNS, PAIRS,
                         OperatorContext.of(mem.pool(), query, dir).child("nlj").withOutputRows(512))) {
                Random rnd = new Random(3);
                try (NestedLoopJoin.BuildBuffer buf = join.newBuildBuffer()) {
                    buf.add(RandomData.morsel(BUILD, rows(rnd, 2000, false), 0, mem.pool(), query));
                    buf.flush();
                }
                join.finishBuild();
                try (NestedLoopJoin.Cursor c = join.startProbe(RandomData.morsel(PROBE, rows(rnd, 2000, true), 0, mem.pool(),
                        query)); Morsel first = c.next(0)) {
                    assertEquals(512, first.rowCount());
                    assertTrue(join.pairsExamined() <= NestedLoopJoin.PAIR_CHUNK, "a step examines one chunk of pairs, not "
                            + join.pairsExamined());
                    assertTrue(!c.done());
                    try (Morsel second = c.next(1)) {
                        assertEquals(512, second.rowCount());
                        assertTrue(join.pairsExamined() <= NestedLoopJoin.PAIR_CHUNK, "the second step emits pending pairs");
                    }
                }
            }
        });
    }

    @Test
    void memoryPressureEvictsBlocksAndTheBudgetHolds() {
        long cap = 2L << 20;
        List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
        Random rnd = new Random(11);
        List<List<Object>> build = rows(rnd, 320_000, false);
        List<List<Object>> probe = rows(rnd, 40, true);
        long expected = oracle(probe, build, JoinType.SEMI, false).size();
        assertNoLeaks(mem -> {
            try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
                 MemoryBudget query = mem.budget().child("q", cap);
                 MemoryManager manager = new MemoryManager(query);
                 SpillDirectory dir = sm.createQueryDirectory("q", query)) {
                long got = 0;
                try (NestedLoopJoin join = new NestedLoopJoin(BUILD, JoinType.SEMI, rangePredicate(), PREDICATE_COLUMNS,
                        PROBE_ONLY, OperatorContext.of(mem.pool(), query, dir).child("nlj").withEvents(events::add)
                                .withOutputRows(4096))) {
                    manager.register(join.store());
                    try (NestedLoopJoin.BuildBuffer buf = join.newBuildBuffer()) {
                        for (int i = 0; i < build.size(); i += 4096) {
                            // The caller's morsels come from a separate budget so that only the join's blocks count.
                            try (MemoryBudget scratch = mem.budget().child("input")) {
                                buf.add(RandomData.morsel(BUILD, build.subList(i, Math.min(build.size(), i + 4096)), i, mem.pool(),
                                        scratch));
                            }
                        }
                        buf.flush();
                    }
                    join.finishBuild();
                    assertTrue(join.store().byteSize() > 2 * cap, "the build side is larger than the cap: "
                            + join.store().byteSize());
                    assertTrue(join.store().spilledBlocks() > 0, "pressure evicted blocks");
                    try (NestedLoopJoin.Cursor c = join.startProbe(RandomData.morsel(PROBE, probe, 0, mem.pool(), query))) {
                        while (!c.done()) {
                            try (Morsel m = c.next(0)) {
                                got += m.rowCount();
                            }
                        }
                    }
                }
                assertEquals(expected, got);
                assertTrue(query.peak() <= cap, "peak " + query.peak() + " within the cap " + cap);
            }
        });
        assertTrue(events.stream().anyMatch(e -> e instanceof BlocksEvicted b && b.component().equals("nested-loop-join")),
                events.toString());
    }

    @Test
    void rejectsMisuseWithSpecificErrors() {
        assertNoLeaks(mem -> {
            try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
                 MemoryBudget query = mem.budget().child("q");
                 SpillDirectory dir = sm.createQueryDirectory("q", query)) {
                try (NestedLoopJoin left = new NestedLoopJoin(BUILD, JoinType.LEFT, rangePredicate(), PREDICATE_COLUMNS, PAIRS,
                        OperatorContext.of(mem.pool(), query, dir).child("left").withOutputRows(10));
                     NestedLoopJoin full = new NestedLoopJoin(BUILD, JoinType.FULL, rangePredicate(), PREDICATE_COLUMNS, PAIRS,
                             OperatorContext.of(mem.pool(), query, dir).child("full").withOutputRows(10))) {
                    IllegalStateException s = assertThrows(IllegalStateException.class, () -> left.startUnmatched(0));
                    assertTrue(s.getMessage().contains("LEFT nested-loop join emits no unmatched build rows"), s.getMessage());
                    s = assertThrows(IllegalStateException.class, () -> full.startUnmatched(0));
                    assertTrue(s.getMessage().contains("BUILDING, not done probing"), s.getMessage());
                    full.finishBuild();
                    IndexOutOfBoundsException o = assertThrows(IndexOutOfBoundsException.class, () -> full.startUnmatched(0));
                    assertTrue(o.getMessage().contains("build block 0 of 0"), o.getMessage());
                }
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new NestedLoopJoin(BUILD, JoinType.LEFT, null,
                        PREDICATE_COLUMNS, PAIRS, OperatorContext.of(mem.pool(), query, dir).withOutputRows(10)));
                assertTrue(e.getMessage().contains("cross join"), e.getMessage());
            }
        });
    }

    /** Runs {@code body} in a leak check and returns its result. */
    private static <T> T assertNoLeaksReturning(java.util.function.Function<LeakCheck.TestMemory, T> body) {
        List<T> box = new ArrayList<>();
        assertNoLeaks(mem -> box.add(body.apply(mem)));
        return box.get(0);
    }
}
