package dev.spillway.operators;

import dev.spillway.memory.BlockPool;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FinalizeQueueTest {
    private static final Schema SCHEMA = new Schema(List.of(Field.of("v", DataType.INT64)));

    /**
     * A unit that emits {@code morsels} one-row morsels holding its id, and on its first call splits
     * off {@code children} sub-units (the way a spilled partition is re-partitioned).
     */
    private static final class TestUnit implements FinalizeQueue.Unit {
        final long id;
        final int morsels;
        final int children;
        final BlockPool pool;
        final MemoryBudget budget;
        final AtomicInteger running;
        final AtomicInteger startedNow;
        final AtomicInteger maxStartedSeen;
        final ConcurrentHashMap<Long, Boolean> closed;
        final AtomicInteger created;
        int emitted;
        boolean started;
        boolean wasClosed;

        TestUnit(long id, int morsels, int children, BlockPool pool, MemoryBudget budget, AtomicInteger running,
                AtomicInteger startedNow, AtomicInteger maxStartedSeen, ConcurrentHashMap<Long, Boolean> closed,
                AtomicInteger created) {
            this.id = id;
            this.morsels = morsels;
            this.children = children;
            this.pool = pool;
            this.budget = budget;
            this.running = running;
            this.startedNow = startedNow;
            this.maxStartedSeen = maxStartedSeen;
            this.closed = closed;
            this.created = created;
            created.incrementAndGet();
        }

        @Override
        public Morsel next(long sequence, FinalizeQueue queue) {
            if (running.incrementAndGet() != 1) {
                throw new AssertionError("two threads drive unit " + id + " at once");
            }
            try {
                if (!started) {
                    started = true;
                    maxStartedSeen.accumulateAndGet(startedNow.incrementAndGet(), Math::max);
                    for (int c = 0; c < children; c++) {
                        queue.addFirst(new TestUnit(id * 100 + c + 1, morsels, 0, pool, budget, new AtomicInteger(), startedNow,
                                maxStartedSeen, closed, created));
                    }
                }
                if (emitted == morsels) {
                    return null;
                }
                emitted++;
                List<Object> row = new ArrayList<>();
                row.add(id);
                return RandomData.morsel(SCHEMA, List.of(row), sequence, pool, budget);
            } finally {
                running.decrementAndGet();
            }
        }

        @Override
        public void close() {
            if (!wasClosed) {
                wasClosed = true;
                if (started) {
                    startedNow.decrementAndGet();
                }
                assertNull(closed.put(id, Boolean.TRUE), "closed once");
            }
        }
    }

    @Test
    void everyUnitsOutputIsEmittedOnceByConcurrentPullersWithinTheStartedBound() throws Exception {
        for (int seed = 0; seed < 5; seed++) {
            int finalSeed = seed;
            assertNoLeaks(mem -> {
                Random rnd = new Random(finalSeed);
                int threads = 4;
                int maxStarted = 2;
                FinalizeQueue q = new FinalizeQueue(maxStarted, new AtomicLong());
                AtomicInteger startedNow = new AtomicInteger();
                AtomicInteger maxSeen = new AtomicInteger();
                ConcurrentHashMap<Long, Boolean> closed = new ConcurrentHashMap<>();
                AtomicInteger created = new AtomicInteger();
                List<Long> expected = new ArrayList<>();
                int units = 20 + rnd.nextInt(20);
                for (long id = 1; id <= units; id++) {
                    int morsels = rnd.nextInt(5);
                    int children = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(3) : 0;
                    q.add(new TestUnit(id, morsels, children, mem.pool(), mem.budget(), new AtomicInteger(), startedNow,
                            maxSeen, closed, created));
                    for (int k = 0; k < morsels; k++) {
                        expected.add(id);
                    }
                    for (int c = 0; c < children; c++) {
                        for (int k = 0; k < morsels; k++) {
                            expected.add(id * 100 + c + 1);
                        }
                    }
                }
                List<Long> got = Collections.synchronizedList(new ArrayList<>());
                List<Long> sequences = Collections.synchronizedList(new ArrayList<>());
                AtomicReference<Throwable> failure = new AtomicReference<>();
                CountDownLatch go = new CountDownLatch(1);
                List<Thread> pullers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    Thread th = new Thread(() -> {
                        try {
                            go.await();
                            while (!q.isDone()) {
                                try (Morsel m = q.next()) {
                                    if (m == null) {
                                        Thread.onSpinWait();
                                        continue;
                                    }
                                    got.add((Long) RandomData.rowsOf(m).get(0).get(0));
                                    sequences.add(m.sequence());
                                }
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    });
                    pullers.add(th);
                    th.start();
                }
                go.countDown();
                for (Thread th : pullers) {
                    th.join();
                }
                if (failure.get() != null) {
                    throw new AssertionError("seed " + finalSeed, failure.get());
                }
                Collections.sort(expected);
                List<Long> sorted = new ArrayList<>(got);
                Collections.sort(sorted);
                assertEquals(expected, sorted, "seed " + finalSeed);
                assertEquals(sequences.size(), sequences.stream().distinct().count(), "distinct sequence numbers");
                // An ordered sink waits for every number below the highest it got: no gaps.
                assertEquals(java.util.stream.LongStream.range(0, sequences.size()).boxed().toList(),
                        sequences.stream().sorted().toList(), "sequence numbers 0 .. n-1, without gaps");
                assertTrue(maxSeen.get() <= maxStarted, "at most " + maxStarted + " units started at once, saw " + maxSeen.get());
                assertEquals(created.get(), closed.size(), "every unit closed once");
                assertNull(q.next(), "nothing after the end");
                assertTrue(q.isDone());
                q.close();
            });
        }
    }

    @Test
    void aFailingUnitIsClosedAndCountedAndTheOthersAreClosedByClose() {
        AtomicInteger closes = new AtomicInteger();
        FinalizeQueue q = new FinalizeQueue(1, new AtomicLong());
        RuntimeException boom = new IllegalStateException("boom");
        q.add(new FinalizeQueue.Unit() {
            @Override
            public Morsel next(long sequence, FinalizeQueue queue) {
                throw boom;
            }

            @Override
            public void close() {
                closes.incrementAndGet();
            }
        });
        q.add(new FinalizeQueue.Unit() {
            @Override
            public Morsel next(long sequence, FinalizeQueue queue) {
                throw new AssertionError("not reached");
            }

            @Override
            public void close() {
                closes.incrementAndGet();
            }
        });
        assertSame(boom, assertThrows(IllegalStateException.class, q::next));
        assertEquals(1, closes.get());
        q.close();
        assertEquals(2, closes.get());
        assertThrows(IllegalArgumentException.class, () -> new FinalizeQueue(0, new AtomicLong()));
    }
}
