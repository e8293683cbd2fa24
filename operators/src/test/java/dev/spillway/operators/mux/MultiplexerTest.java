package dev.spillway.operators.mux;

import dev.spillway.event.BacklogSpilled;
import dev.spillway.event.MultiplexerInputComplete;
import dev.spillway.event.MultiplexerReaderDetached;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.memory.testing.RandomData;
import dev.spillway.operators.ChainSource;
import dev.spillway.operators.ConcatSource;
import dev.spillway.operators.EarlyStopSource;
import dev.spillway.operators.OperatorContext;
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

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The multiplexer driven directly: order, dense sequences, spilling and reading back, accounting, transient ends. */
class MultiplexerTest {
    private static final Schema SCHEMA = Schema.of(Field.of("x", DataType.INT64), Field.of("s", DataType.UTF8));
    private static final TaskContext CTX = new TaskContext(0, new QueryContext("t"));

    private static List<List<Object>> rows(int from, int n) {
        List<List<Object>> rows = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            rows.add(Arrays.asList((long) i, i % 4 == 0 ? null : "v" + i));
        }
        return rows;
    }

    /** Drains consumer {@code i}, checking dense sequence numbers; the rows in order. */
    private static List<List<Object>> drain(Multiplexer mux, int i) {
        List<List<Object>> out = new ArrayList<>();
        long seq = 0;
        for (Morsel next = mux.poll(i); next != null; next = mux.poll(i)) {
            try (Morsel m = next) {
                assertEquals(seq++, m.sequence(), "consumer " + i + " sequence");
                out.addAll(RandomData.rowsOf(m));
            }
        }
        return out;
    }

    private interface Body {
        void run(LeakCheck.TestMemory mem, MemoryBudget query, SpillDirectory dir) throws Exception;
    }

    private static void withSpills(Body body) {
        assertNoLeaks(mem -> {
            try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
                 MemoryBudget query = mem.budget().child("q");
                 SpillDirectory dir = sm.createQueryDirectory("q", query)) {
                body.run(mem, query, dir);
            }
        });
    }

    @Test
    void everyConsumerGetsEveryMorselInSourceOrderWithDenseSequences() {
        withSpills((mem, query, dir) -> {
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            try (Multiplexer mux = new Multiplexer("m", SCHEMA, 3, OperatorContext.of(mem.pool(), query, dir).withEvents(events::add), 1L << 30)) {
                // Out of order, with a filtered-out sequence number and an empty morsel.
                mux.accept(RandomData.morsel(SCHEMA, rows(200, 100), 3, mem.pool(), query));
                mux.accept(RandomData.morsel(SCHEMA, rows(0, 100), 0, mem.pool(), query));
                mux.skip(1);
                assertFalse(mux.isExhausted(0), "the producer still runs");
                List<List<Object>> first = drain(mux, 0);
                assertEquals(rows(0, 100), first, "only what is next in source order is published");
                assertFalse(mux.isExhausted(0), "an empty backlog is a transient end while the producer runs");
                mux.accept(RandomData.morsel(SCHEMA, List.of(), 2, mem.pool(), query));
                mux.producerFinished();
                List<List<Object>> expected = new ArrayList<>(rows(0, 100));
                expected.addAll(rows(200, 100));
                first.addAll(drainFrom(mux, 0, 1));
                assertEquals(expected, first);
                assertEquals(expected, drain(mux, 1));
                assertEquals(expected, drain(mux, 2));
                for (int i = 0; i < 3; i++) {
                    assertTrue(mux.isExhausted(i));
                }
                assertEquals(0, mux.bytesSpilled(), "nothing spilled under a large share");
                assertTrue(events.stream().anyMatch(e -> e instanceof MultiplexerInputComplete c && c.name().equals("m")
                        && c.consumers() == 3 && c.morsels() == 2), events.toString());
                assertTrue(events.stream().anyMatch(e -> e.line().contains("multiplexer: input complete name=m consumers=3 morsels=2")),
                        events.toString());
            }
        });
    }

    @Test
    void aDetachedReaderReleasesItsBacklogAndTakesNothingLater() {
        withSpills((mem, query, dir) -> {
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            try (Multiplexer mux = new Multiplexer("m", SCHEMA, 2, OperatorContext.of(mem.pool(), query, dir).withEvents(events::add)
                    .withForceSpill(0.5), 1L << 30)) {
                MultiplexerSource early = mux.source(1);
                // A head(1) over consumer 1: satisfied after its first morsel.
                boolean[] satisfied = {false};
                Source limited = new EarlyStopSource(early, () -> satisfied[0]);
                for (int k = 0; k < 4; k++) {
                    mux.accept(RandomData.morsel(SCHEMA, rows(100 * k, 100), k, mem.pool(), query));
                }
                long spilledBefore = mux.morselsSpilled(1);
                assertTrue(spilledBefore > 0, "forced spilling wrote backlog 1 to disk");
                assertEquals(spilledBefore, mux.morselsSpilled(0), "both backlogs spilled alike so far");
                try (Morsel first = limited.next(CTX)) {
                    assertEquals(rows(0, 100), RandomData.rowsOf(first));
                }
                satisfied[0] = true;
                assertNull(limited.next(CTX), "a satisfied reader pulls nothing");
                assertTrue(mux.isDetached(1) && !mux.isDetached(0) && !mux.allDetached());
                assertTrue(limited.isExhausted() && early.isExhausted(), "a detached reader is at its end");
                assertNull(mux.poll(1), "and polls nothing");
                for (int k = 4; k < 10; k++) {
                    mux.accept(RandomData.morsel(SCHEMA, rows(100 * k, 100), k, mem.pool(), query));
                }
                assertEquals(spilledBefore, mux.morselsSpilled(1), "nothing is added to (or spilled from) a detached backlog");
                assertTrue(mux.morselsSpilled(0) > spilledBefore, "the attached backlog still spills its forced share");
                mux.producerFinished();
                assertEquals(rows(0, 1000), drain(mux, 0), "the other reader gets everything");
                early.detach();
                assertEquals(1, events.stream().filter(e -> e instanceof MultiplexerReaderDetached).count(), "one event per reader");
                MultiplexerReaderDetached d = events.stream().filter(e -> e instanceof MultiplexerReaderDetached)
                        .map(MultiplexerReaderDetached.class::cast).findFirst().orElseThrow();
                assertEquals(1, d.consumer());
                assertEquals(4, d.published());
                assertEquals(3, d.droppedMorsels(), "three of the four published morsels were never read");
                assertEquals(1, d.readersLeft());
            }
        });
    }

    @Test
    void whenEveryReaderDetachesTheProducerIsToldToStop() {
        withSpills((mem, query, dir) -> {
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            try (Multiplexer mux = new Multiplexer("m", SCHEMA, 2, OperatorContext.of(mem.pool(), query, dir).withEvents(events::add),
                    1L << 30)) {
                long empty = query.reserved();
                mux.accept(RandomData.morsel(SCHEMA, rows(0, 100), 0, mem.pool(), query));
                mux.accept(RandomData.morsel(SCHEMA, rows(100, 100), 1, mem.pool(), query));
                assertTrue(query.reserved() > empty, "the backlogs hold the published morsels");
                Source producer = new EarlyStopSource(new Source() {
                    @Override
                    public String name() {
                        return "endless";
                    }

                    @Override
                    public Morsel next(TaskContext ctx) {
                        throw new AssertionError("the producer is not pulled once every reader left");
                    }
                }, mux::allDetached);
                mux.source(0).detach();
                assertFalse(mux.allDetached(), "one reader is left");
                new ChainSource(mux.source(1), List.of()).detach();
                assertTrue(mux.allDetached());
                assertTrue(producer.isExhausted());
                assertNull(producer.next(CTX));
                // A morsel in flight when the readers left, and one missing: neither is published nor an error.
                mux.accept(RandomData.morsel(SCHEMA, rows(300, 100), 3, mem.pool(), query));
                mux.producerFinished();
                assertTrue(events.stream().anyMatch(e -> e instanceof MultiplexerInputComplete c && c.morsels() == 2), events.toString());
                assertEquals(empty, query.reserved(), "no backlog is held any more");
                assertTrue(events.stream().anyMatch(e -> e.line().contains("multiplexer: reader detached name=m consumer=1 published=2"
                        + " dropped-morsels=2") && e.line().endsWith("readers-left=0")), events.toString());
            }
        });
    }

    private static List<List<Object>> drainFrom(Multiplexer mux, int i, long firstSeq) {
        List<List<Object>> out = new ArrayList<>();
        long seq = firstSeq;
        for (Morsel next = mux.poll(i); next != null; next = mux.poll(i)) {
            try (Morsel m = next) {
                assertEquals(seq++, m.sequence());
                out.addAll(RandomData.rowsOf(m));
            }
        }
        return out;
    }

    @Test
    void aBacklogOverItsShareSpillsAndIsReadBackInOrder() {
        withSpills((mem, query, dir) -> {
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            long morselBytes;
            try (Morsel probe = RandomData.morsel(SCHEMA, rows(0, 500), 0, mem.pool(), query)) {
                morselBytes = probe.byteSize();
            }
            // Each backlog may hold four morsels.
            try (Multiplexer mux = new Multiplexer("m", SCHEMA, 2, OperatorContext.of(mem.pool(), query, dir).withEvents(events::add),
                    2 * 4 * morselBytes)) {
                List<List<Object>> expected = new ArrayList<>();
                for (int k = 0; k < 40; k++) {
                    mux.accept(RandomData.morsel(SCHEMA, rows(k * 500, 500), k, mem.pool(), query));
                    expected.addAll(rows(k * 500, 500));
                    // Consumer 0 keeps up; consumer 1 takes nothing until the end.
                    try (Morsel m = mux.poll(0)) {
                        assertEquals(k, m.sequence());
                        assertEquals(rows(k * 500, 500), RandomData.rowsOf(m));
                    }
                }
                mux.producerFinished();
                assertTrue(mux.peakBacklogBytes(1) <= mux.backlogShare(), "backlog 1 stays within its share: "
                        + mux.peakBacklogBytes(1) + " > " + mux.backlogShare());
                assertTrue(mux.bytesSpilled() > 0 && mux.runsSpilled() > 1, "backlog 1 spilled several times");
                assertEquals(morselBytes, mux.peakBacklogBytes(0), "consumer 0 kept up: one morsel at a time");
                assertEquals(expected, drain(mux, 1), "read back in order with dense sequences");
                assertEquals(mux.morselsSpilled(), mux.morselsReadBack());
                assertTrue(events.stream().noneMatch(e -> e instanceof BacklogSpilled b && b.consumer() == 0), events.toString());
                assertTrue(events.stream().anyMatch(e -> e instanceof BacklogSpilled b && b.component().equals("multiplexer")
                        && b.consumer() == 1),
                        events.toString());
                assertEquals(0, dir.bytesOnDisk(), "spill files are deleted once read back");
            }
        });
    }

    @Test
    void pressureSpillCountsSharedMorselsOnceAndFreesOnlyTheLastHold() {
        withSpills((mem, query, dir) -> {
            try (Multiplexer mux = new Multiplexer("m", SCHEMA, 2, OperatorContext.of(mem.pool(), query, dir), 1L << 30)) {
                Morsel a = RandomData.morsel(SCHEMA, rows(0, 1000), 0, mem.pool(), query);
                long bytes = a.byteSize();
                mux.accept(a);
                mux.accept(RandomData.morsel(SCHEMA, rows(1000, 1000), 1, mem.pool(), query));
                assertEquals(2 * bytes, mux.spillableBytes(), "two morsels, each held by both backlogs, count once each");
                long before = query.reserved();
                try (Morsel taken = mux.poll(0)) {
                    // Morsel 0 is still used by consumer 0; morsel 1 waits only in the backlogs.
                    long freed = mux.spill(Long.MAX_VALUE);
                    assertEquals(bytes, freed, "only morsel 1 lost its last hold (consumer 0 still reads morsel 0)");
                    assertEquals(0, mux.spillableBytes());
                    assertEquals(before - bytes, query.reserved(), "the freed bytes went back to the budget");
                    assertEquals(rows(0, 1000), RandomData.rowsOf(taken));
                }
                mux.producerFinished();
                assertEquals(rows(1000, 1000), drainFrom(mux, 0, 1));
                List<List<Object>> all = new ArrayList<>(rows(0, 1000));
                all.addAll(rows(1000, 1000));
                assertEquals(all, drain(mux, 1));
            }
        });
    }

    /** Wrappers pass a consumer's transient end on instead of treating it as the end of their input. */
    @Test
    void sourceWrappersPassOnATransientEnd() {
        withSpills((mem, query, dir) -> {
            try (Multiplexer mux = new Multiplexer("m", SCHEMA, 3, OperatorContext.of(mem.pool(), query, dir), 1L << 30)) {
                Source concat = new ConcatSource(List.of(mux.source(0), new ChainSource(mux.source(1), List.of())));
                Source stop = new EarlyStopSource(mux.source(2), () -> false);
                assertNull(concat.next(CTX));
                assertFalse(concat.isExhausted(), "concat: the first input has more to come");
                assertNull(stop.next(CTX));
                assertFalse(stop.isExhausted(), "early stop: the input has more to come");
                mux.accept(RandomData.morsel(SCHEMA, rows(0, 10), 0, mem.pool(), query));
                try (Morsel m = concat.next(CTX)) {
                    assertEquals(rows(0, 10), RandomData.rowsOf(m));
                }
                assertNull(concat.next(CTX));
                assertFalse(concat.isExhausted());
                mux.producerFinished();
                try (Morsel m = concat.next(CTX)) {
                    assertEquals(rows(0, 10), RandomData.rowsOf(m), "the second input, after the first ended");
                    assertEquals(1, m.sequence());
                }
                assertNull(concat.next(CTX));
                assertTrue(concat.isExhausted());
                try (Morsel m = stop.next(CTX)) {
                    assertEquals(10, m.rowCount());
                }
                assertNull(stop.next(CTX));
                assertTrue(stop.isExhausted());
                Source satisfied = new EarlyStopSource(mux.source(0), () -> true);
                assertTrue(satisfied.isExhausted(), "a satisfied early stop has ended whatever its input says");
            }
        });
    }

    @Test
    void aChainSkipsMorselsAnOperatorDroppedWhole() {
        withSpills((mem, query, dir) -> {
            try (Multiplexer mux = new Multiplexer("m", SCHEMA, 2, OperatorContext.of(mem.pool(), query, dir), 1L << 30)) {
                dev.spillway.scheduler.Operator dropOdd = new dev.spillway.scheduler.Operator() {
                    @Override
                    public String name() {
                        return "drop odd";
                    }

                    @Override
                    public Morsel process(Morsel input, TaskContext ctx) {
                        if (input.sequence() % 2 == 1) {
                            input.close();
                            return null;
                        }
                        return input;
                    }
                };
                Source chain = new ChainSource(mux.source(0), List.of(dropOdd));
                for (int k = 0; k < 4; k++) {
                    mux.accept(RandomData.morsel(SCHEMA, rows(k * 10, 10), k, mem.pool(), query));
                }
                mux.producerFinished();
                List<Long> seen = new ArrayList<>();
                for (Morsel next = chain.next(CTX); next != null; next = chain.next(CTX)) {
                    try (Morsel m = next) {
                        seen.add(m.sequence());
                    }
                }
                assertTrue(chain.isExhausted());
                assertEquals(List.of(0L, 2L), seen, "a dropped morsel is not mistaken for the end");
            }
        });
    }
}
