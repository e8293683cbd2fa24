package dev.spillway.operators.merge;

import dev.spillway.errors.UnsortedInputException;
import dev.spillway.options.AsofStrategy;

import dev.spillway.event.RunSpilled;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.errors.MemoryLimitExceededException;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.memory.testing.RandomData;
import dev.spillway.operators.OperatorContext;
import dev.spillway.options.JoinType;
import dev.spillway.scheduler.Operator;
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
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The merge and AsOf join operators driven directly: inputs whose morsels arrive out of sequence
 * order, with morsels an operator drops, with pauses (nothing now, more later); run buffers that
 * spill while collecting and after; the order check.
 */
class MergeJoinTest {
    private static final Schema LEFT = Schema.of(Field.of("k", DataType.INT64), Field.of("a", DataType.UTF8));
    private static final Schema RIGHT = Schema.of(Field.of("k", DataType.INT64), Field.of("b", DataType.UTF8));
    private static final Schema OUT = Schema.of(Field.of("k", DataType.INT64), Field.of("a", DataType.UTF8),
            Field.of("b", DataType.UTF8));
    private static final TaskContext CTX = new TaskContext(0, new QueryContext("test"));

    /**
     * Hands out pre-built morsels in a scrambled order (pairs swapped), pausing (null, not exhausted)
     * every third pull.
     */
    private static final class ScrambledSource implements Source {
        private final List<Morsel> morsels;
        private int next;
        private int pulls;

        ScrambledSource(List<Morsel> inOrder) {
            this.morsels = new ArrayList<>(inOrder);
            for (int i = 0; i + 1 < morsels.size(); i += 2) {
                Morsel m = morsels.get(i);
                morsels.set(i, morsels.get(i + 1));
                morsels.set(i + 1, m);
            }
        }

        @Override
        public String name() {
            return "scrambled";
        }

        @Override
        public Morsel next(TaskContext ctx) {
            if (++pulls % 3 == 0 && next < morsels.size()) {
                return null;
            }
            return next < morsels.size() ? morsels.get(next++) : null;
        }

        @Override
        public boolean isExhausted() {
            return next >= morsels.size();
        }

        @Override
        public void close() {
            for (int i = next; i < morsels.size(); i++) {
                morsels.get(i).close();
            }
        }
    }

    /** Drops every morsel whose sequence number is 3 (all its rows filtered out). */
    private static final Operator DROP_THIRD = new Operator() {
        @Override
        public String name() {
            return "drop-3";
        }

        @Override
        public Morsel process(Morsel input, TaskContext ctx) {
            if (input.sequence() == 3) {
                input.close();
                return null;
            }
            return input;
        }
    };

    private static List<Morsel> morsels(Schema s, List<List<Object>> rows, int per, LeakCheck.TestMemory mem) {
        List<Morsel> out = new ArrayList<>();
        for (int i = 0, seq = 0; i < rows.size(); i += per, seq++) {
            out.add(RandomData.morsel(s, rows.subList(i, Math.min(rows.size(), i + per)), seq, mem.pool(), mem.budget()));
        }
        return out;
    }

    private static List<List<Object>> drain(Source s) {
        List<List<Object>> out = new ArrayList<>();
        long expectedSeq = 0;
        int idle = 0;
        while (true) {
            Morsel m = s.next(CTX);
            if (m == null) {
                if (s.isExhausted()) {
                    return out;
                }
                assertTrue(++idle < 1000, "a paused input resumes");
                continue;
            }
            try (m) {
                assertEquals(expectedSeq++, m.sequence(), "dense output sequence numbers");
                out.addAll(RandomData.rowsOf(m));
            }
        }
    }

    @Test
    void leftJoinOfScrambledPausingInputsWithADroppedMorselMatchesNestedLoops() {
        LeakCheck.assertNoLeaks(mem -> {
            List<List<Object>> l = new ArrayList<>();
            List<List<Object>> r = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                l.add(Arrays.asList((long) (i / 3), "a" + i));
                r.add(Arrays.asList((long) (i / 12), "b" + i));
            }
            int per = 16;
            // Rows of left morsel 3 never reach the join: the oracle skips them too.
            List<List<Object>> leftSeen = new ArrayList<>(l);
            leftSeen.subList(3 * per, 4 * per).clear();
            List<List<Object>> expected = new ArrayList<>();
            for (List<Object> x : leftSeen) {
                boolean any = false;
                for (List<Object> y : r) {
                    if (x.get(0).equals(y.get(0))) {
                        expected.add(Arrays.asList(x.get(0), x.get(1), y.get(1)));
                        any = true;
                    }
                }
                if (!any) {
                    expected.add(Arrays.asList(x.get(0), x.get(1), null));
                }
            }
            try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
                 MemoryBudget query = mem.budget().child("q");
                 SpillDirectory dir = sm.createQueryDirectory("q", query)) {
                List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
                MergeJoin join = new MergeJoin(new OrderedInput(new ScrambledSource(morsels(LEFT, l, per, mem)),
                        List.of(DROP_THIRD)), LEFT, new int[] {0}, new OrderedInput(new ScrambledSource(morsels(RIGHT, r, 7, mem)),
                        List.of()), RIGHT, new int[] {0}, JoinType.LEFT, OUT, "test", "test",
                        OperatorContext.of(mem.pool(), query, dir).child("mj").withEvents(events::add).withOutputRows(10));
                join.forceSpill(1.0);
                try (join) {
                    List<List<Object>> got = drain(join);
                    // Key order; within a key the pairs come chunk by chunk of the buffered run.
                    assertEquals(expected.stream().map(Object::toString).sorted().toList(),
                            got.stream().map(Object::toString).sorted().toList());
                    for (int i = 1; i < got.size(); i++) {
                        assertTrue((Long) got.get(i - 1).get(0) <= (Long) got.get(i).get(0), "key order at row " + i);
                    }
                }
                assertTrue(events.stream().anyMatch(e -> e instanceof RunSpilled spilled && spilled.component().equals("merge-join")),
                        "runs of 12 rows are longer than the 10-row morsels and spill by force: " + events);
            }
        });
    }

    @Test
    void aRunMovesToDiskWhileCollectingAndAfterAndReadsBackTheSame() {
        LeakCheck.assertNoLeaks(mem -> {
            List<List<Object>> rows = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                rows.add(Arrays.asList(7L, "v" + i));
            }
            try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
                 MemoryBudget query = mem.budget().child("q");
                 SpillDirectory dir = sm.createQueryDirectory("q", query);
                 MemoryBudget runBudget = query.child("run")) {
                for (int mode = 0; mode < 3; mode++) {
                    List<SpillwayEvent> events = new ArrayList<>();
                    try (RunBuffer run = new RunBuffer("merge-join", RIGHT, 8,
                            OperatorContext.of(mem.pool(), query, dir).withBudget(runBudget).withEvents(events::add));
                         Morsel m = RandomData.morsel(RIGHT, rows, 0, mem.pool(), query)) {
                        run.add(m, 0, 20);
                        if (mode == 1) {
                            assertTrue(run.spillNow("test") > 0, "in-memory rows to free");
                        }
                        run.add(m, 20, 50);
                        run.finish();
                        if (mode == 2) {
                            assertTrue(run.spillCollected("test") > 0, "collected rows to free");
                        }
                        assertEquals(mode == 0 ? RunBuffer.State.IN_MEMORY : RunBuffer.State.SPILLED, run.state());
                        List<List<Object>> back = new ArrayList<>();
                        for (int round = 0; round < 2; round++) {
                            back.clear();
                            for (int c = 0; c < run.chunkCount(); c++) {
                                try (Morsel chunk = run.chunk(c)) {
                                    back.addAll(RandomData.rowsOf(chunk));
                                }
                            }
                            assertEquals(rows, back, "mode " + mode + " read " + round);
                        }
                        assertEquals(mode == 0 ? 0 : 1, events.size(), events.toString());
                    }
                    assertEquals(0, runBudget.reserved(), "the run freed its memory");
                }
            }
        });
    }

    @Test
    void theOrderCheckNamesTheRowAndValuesAcrossAMorselBoundary() {
        LeakCheck.assertNoLeaks(mem -> {
            List<List<Object>> l = new ArrayList<>();
            for (long k : new long[] {1, 2, 3, 5, 4, 6}) {
                l.add(Arrays.asList(k, "a" + k));
            }
            try (MemoryBudget query = mem.budget().child("q")) {
                AsofJoin join = new AsofJoin(new OrderedInput(new ScrambledSource(morsels(LEFT, l, 4, mem)), List.of()), LEFT,
                        0, new int[0], new OrderedInput(new ScrambledSource(morsels(RIGHT, List.of(), 4, mem)), List.of()), RIGHT,
                        0, new int[0], new int[] {1}, OUT, AsofStrategy.FORWARD, null, "declared", "declared",
                        OperatorContext.of(mem.pool(), query, null).child("asof").withOutputRows(4));
                try (join) {
                    UnsortedInputException e = assertThrows(UnsortedInputException.class, () -> drain(join));
                    assertEquals(4, e.row());
                    assertEquals("asof-join: the left input is not sorted by [k] ascending, as the plan assumes (declared): row 4"
                            + " has k=4 after k=5; sort the input with sort(...) or correct the setSorted(...) declaration",
                            e.getMessage());
                    assertNull(join.next(CTX), "a failed join hands out nothing more");
                }
            }
        });
    }

    /**
     * A BACKWARD join over groups whose long string keys outgrow its budget: the refused growth of
     * its native state fails the join with its own out-of-memory error (the budget's refusal as
     * the cause), later calls hand out nothing, and closing it frees everything.
     */
    @Test
    void aRefusedGrowthOfTheGroupStateFailsNamingTheJoin() {
        LeakCheck.assertNoLeaks(mem -> {
            String pad = "x".repeat(2000);
            List<List<Object>> r = new ArrayList<>();
            for (long k = 0; k < 400; k++) {
                r.add(Arrays.asList(k, pad + k));
            }
            List<List<Object>> l = new ArrayList<>();
            l.add(Arrays.asList(1_000L, pad + "1"));
            try (MemoryBudget query = mem.budget().child("q", 256L << 10)) {
                AsofJoin join = new AsofJoin(new OrderedInput(new ScrambledSource(morsels(LEFT, l, 4, mem)), List.of()), LEFT,
                        0, new int[] {1}, new OrderedInput(new ScrambledSource(morsels(RIGHT, r, 1, mem)), List.of()), RIGHT,
                        0, new int[] {1}, new int[] {1}, OUT, AsofStrategy.BACKWARD, null, "declared", "declared",
                        OperatorContext.of(mem.pool(), query, null).child("asof").withOutputRows(4));
                try (join) {
                    IllegalStateException e = assertThrows(IllegalStateException.class, () -> drain(join));
                    assertTrue(e.getMessage().startsWith("asof-join (BACKWARD): out of memory: ")
                            && e.getMessage().contains(" was refused (") && e.getMessage().contains("growing the per-group state past"),
                            e.getMessage());
                    assertTrue(e.getCause() instanceof MemoryLimitExceededException, String.valueOf(e.getCause()));
                    assertNull(join.next(CTX), "a failed join hands out nothing more");
                }
                assertEquals(0, query.reserved(), "the join freed its state");
            }
        });
    }
}
