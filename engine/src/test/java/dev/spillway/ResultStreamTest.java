package dev.spillway;

import dev.spillway.options.JoinOptions;
import dev.spillway.options.JoinStrategy;

import dev.spillway.options.JoinType;
import dev.spillway.errors.UnsortedInputException;
import dev.spillway.scheduler.PipelineStats;
import dev.spillway.errors.QueryCancelledException;
import dev.spillway.errors.QueryExecutionException;
import dev.spillway.errors.QueryTimeoutException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.spillway.EngineTestSupport.withEngine;
import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static dev.spillway.QueryAtRest.assertAtRest;
import static dev.spillway.QueryAtRest.sorted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link LazyFrame#stream()}: the batches equal {@link LazyFrame#collect()} (in its order where it
 * has one) for spilling joins, group-bys and sorts; a consumer that stops pulling pauses the query
 * within the stream's buffer; closing early, at seeded points, cancels the query and leaves the
 * engine at rest; failures, deadlines and the engine closing surface from {@code hasNext()}.
 */
class ResultStreamTest {
    private static final long CAP = 32L << 20;
    /** Seeds of the early-close test: 100 in CI; more with {@code -Dspillway.stream.rounds=N}. */
    private static final int ROUNDS = Integer.getInteger("spillway.stream.rounds", 100);

    /** Morsels of 4,096 rows and every partition of spillable operators forced to disk. */
    static Spillway.Builder spilling(Spillway.Builder b) {
        return b.morselRows(4096).forceSpill(1.0);
    }

    /** A join into a group-by, a sort (a defined order), or a group-by, by kind. */
    static LazyFrame query(Spillway sw, int kind, long rows) {
        LazyFrame in = sw.range("v", 0, rows).withColumns(col("v").mod(lit(rows / 8)).alias("k"));
        return switch (kind % 3) {
            case 0 -> in.join(sw.range("k", 0, rows / 8).withColumns(col("k").times(lit(3L)).alias("w")), "k", JoinType.INNER)
                    .groupBy("k").agg(col("w").sum().alias("s"), col("v").sum().alias("vs"));
            case 1 -> in.sort(SortKey.desc("k"), SortKey.asc("v"));
            default -> in.groupBy("k").agg(col("v").sum().alias("s"), col("v").count().alias("n"));
        };
    }

    private static List<List<Object>> drain(ResultStream s, int[] batches) {
        List<List<Object>> rows = new ArrayList<>();
        while (s.hasNext()) {
            try (DataFrame b = s.next()) {
                assertTrue(b.rowCount() > 0, "a batch has rows");
                assertEquals(s.schema(), b.schema());
                rows.addAll(b.rows());
                batches[0]++;
            }
        }
        return rows;
    }

    @Test
    void batchesEqualCollectForSpillingQueries() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> withEngine(CAP, ResultStreamTest::spilling, (sw, dir) -> {
            for (int kind = 0; kind < 3; kind++) {
                String what = "kind " + kind;
                LazyFrame q = query(sw, kind, 120_000);
                List<List<Object>> expected;
                try (DataFrame df = q.collect()) {
                    expected = df.rows();
                }
                int[] batches = {0};
                List<List<Object>> got;
                try (ResultStream s = q.stream()) {
                    got = drain(s, batches);
                    assertFalse(s.hasNext(), what + ": stays at its end");
                    assertThrows(NoSuchElementException.class, s::next, what);
                    QueryProfile p = s.profile();
                    assertNotNull(p, what + ": profile recorded at the end");
                    assertTrue(p.succeeded(), what);
                    assertTrue(p.spilledCompressedBytes() > 0, what + ": the query spilled");
                    assertTrue(p.plan().contains("STREAMING_RESULT_STREAM"), p.plan());
                    assertEquals(s.queryName(), p.query());
                }
                assertTrue(batches[0] > 1, what + ": several batches, got " + batches[0]);
                if (kind % 3 == 1) {
                    assertEquals(expected, got, what + ": a sort's batches come in its order");
                } else {
                    assertEquals(sorted(expected), sorted(got), what);
                }
                assertAtRest(sw, what);
            }
        }));
    }

    /** The README's example, as written there (but the engine, which is the test's). */
    @Test
    void readmeExample() {
        withEngine(256L << 20, (sw, dir) -> {
            LazyFrame totals = sw.range("i", 0, 1_000_000)
                    .withColumns(col("i").mod(lit(1000L)).alias("store"))
                    .groupBy("store").agg(col("i").sum().alias("total"))
                    .sort("store");

            long rows = 0;
            try (ResultStream batches = totals.stream()) {
                while (batches.hasNext()) {
                    try (DataFrame batch = batches.next()) {
                        rows += batch.rowCount();
                    }
                }
            }

            QueryOptions nightly = QueryOptions.builder().name("nightly").memoryQuota("64m").spillQuota("1g")
                    .deadline(Duration.ofMinutes(5)).build();
            try (DataFrame df = totals.collect(nightly)) {
                assertEquals(rows, df.rowCount());
                assertEquals(1000, rows);
                assertEquals(sumOfStore(0), df.getLong(0, "total"));
                assertEquals(sumOfStore(999), df.getLong(999, "total"));
            }

            SubmittedQuery running = totals.submit(nightly);
            assertEquals(running.name(), running.progress().query());
            try (DataFrame df = running.await(Duration.ofMinutes(1))) {
                assertEquals(1000, df.rowCount());
                assertEquals(999L, df.getLong(999, "store"));
            }
            assertAtRest(sw, "README example");
        });
    }

    /** The sum of the i below 1,000,000 with {@code i % 1000 == store}. */
    private static long sumOfStore(long store) {
        long s = 0;
        for (long i = store; i < 1_000_000; i += 1000) {
            s += i;
        }
        return s;
    }

    /**
     * Paused streams never hold workers: on one worker, a query collected beside two streams whose
     * readers do not pull finishes, and two streams read in turns each give collect()'s rows.
     */
    @Test
    void pausedStreamsDoNotHoldUpOtherQueriesEvenOnOneWorker() {
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> withEngine(CAP, b -> spilling(b).threads(1), (sw, dir) -> {
            LazyFrame endless = sw.range("v", 0, 1L << 40).withColumns(col("v").plus(lit(1L)).alias("w")).select("w");
            LazyFrame sort = query(sw, 1, 30_000);
            LazyFrame join = query(sw, 0, 30_000);
            List<List<Object>> sorted;
            List<List<Object>> joined;
            try (DataFrame a = sort.collect(); DataFrame b = join.collect()) {
                sorted = a.rows();
                joined = b.rows();
            }
            try (ResultStream p1 = endless.stream(QueryOptions.builder().streamBuffer(1).build());
                 ResultStream p2 = endless.stream(QueryOptions.builder().streamBuffer(1).build())) {
                p1.next().close();
                p2.next().close();
                try (DataFrame again = join.collect()) {
                    assertEquals(sorted(joined), sorted(again.rows()), "a spilling join beside two paused streams");
                }
                List<List<Object>> fromSort = new ArrayList<>();
                List<List<Object>> fromJoin = new ArrayList<>();
                try (ResultStream a = sort.stream(); ResultStream b = join.stream()) {
                    boolean more = true;
                    while (more) {
                        more = false;
                        if (a.hasNext()) {
                            try (DataFrame batch = a.next()) {
                                fromSort.addAll(batch.rows());
                            }
                            more = true;
                        }
                        if (b.hasNext()) {
                            try (DataFrame batch = b.next()) {
                                fromJoin.addAll(batch.rows());
                            }
                            more = true;
                        }
                    }
                }
                assertEquals(sorted, fromSort, "the sort read in turns with another stream");
                assertEquals(sorted(joined), sorted(fromJoin), "the join read in turns with another stream");
                assertFalse(p1.handle().isDone() || p2.handle().isDone(), "the paused streams still wait");
            }
            assertAtRest(sw, "after the paused streams closed");
        }));
    }

    @Test
    void forEachBatchBorrowsEachBatchAndAConsumerFailureCancels() {
        withEngine(CAP, ResultStreamTest::spilling, (sw, dir) -> {
            LazyFrame q = sw.range("v", 0, 100_000).withColumns(col("v").times(lit(2L)).alias("w"));
            AtomicLong sum = new AtomicLong();
            AtomicLong rows = new AtomicLong();
            q.forEachBatch(b -> {
                for (long i = 0; i < b.rowCount(); i++) {
                    sum.addAndGet(b.getLong(i, "w"));
                }
                rows.addAndGet(b.rowCount());
            });
            assertEquals(100_000, rows.get());
            assertEquals(2L * (100_000L * 99_999L / 2), sum.get());
            assertAtRest(sw, "forEachBatch");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> q.forEachBatch(b -> {
                throw new IllegalStateException("consumer gave up");
            }));
            assertEquals("consumer gave up", thrown.getMessage());
            assertAtRest(sw, "forEachBatch after a consumer failure");
        });
    }

    @Test
    void aConsumerThatStopsPullingPausesTheQueryWithinItsBuffer() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> withEngine(CAP, b -> b.morselRows(8192), (sw, dir) -> {
            long rows = 4_000_000;
            long buffer = 2 * 8192L * 8;
            LazyFrame q = sw.range("v", 0, rows).withColumns(col("v").plus(lit(1L)).alias("w")).select("w");
            try (ResultStream s = q.stream(QueryOptions.builder().streamBuffer(buffer).build())) {
                long sum = 0;
                long taken = 0;
                long morselBytes;
                try (DataFrame first = s.next()) {
                    taken += first.rowCount();
                    sum += sumOf(first);
                    morselBytes = first.byteSize();
                }
                // Wait until the producer hit the bound (a ticket turned away: the sink not ready, or
                // a morsel refused), then give it time to run ahead.
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (s.handle().pipelineStats().getLast().refusals() == 0 && System.nanoTime() < until) {
                    TimeUnit.MILLISECONDS.sleep(5);
                }
                assertTrue(s.handle().pipelineStats().getLast().refusals() > 0, "the hand-off turned tickets away once full");
                TimeUnit.MILLISECONDS.sleep(300);
                PipelineStats result = s.handle().pipelineStats().getLast();
                long pulled = result.rowsIn();
                // Held: below twice the buffer plus two morsels; in flight: one morsel per ticket.
                long bound = taken + ((2 * buffer + 2 * morselBytes) / morselBytes + result.maxInFlight()) * 8192L;
                assertTrue(pulled <= bound, "pulled " + pulled + " rows while the consumer slept; bound " + bound);
                assertFalse(s.handle().isDone(), "the query waits for its consumer");
                assertTrue(s.sink().peakHeldBytes() <= 2 * buffer + 2 * morselBytes,
                        "held at most " + s.sink().peakHeldBytes() + " bytes, buffer " + buffer);
                while (s.hasNext()) {
                    try (DataFrame b = s.next()) {
                        taken += b.rowCount();
                        sum += sumOf(b);
                    }
                }
                assertEquals(rows, taken);
                assertEquals(rows * (rows + 1) / 2, sum, "every row once, in full");
                assertTrue(s.sink().peakHeldBytes() <= 2 * buffer + 2 * morselBytes,
                        "held at most " + s.sink().peakHeldBytes() + " bytes, buffer " + buffer);
            }
            assertAtRest(sw, "after the slow consumer");
        }));
    }

    private static long sumOf(DataFrame b) {
        long s = 0;
        for (long i = 0; i < b.rowCount(); i++) {
            s += b.getLong(i, "w");
        }
        return s;
    }

    @Test
    void closingEarlyAtSeededPointsCancelsAndReleasesEverything() {
        assertTimeoutPreemptively(Duration.ofSeconds(120L * Math.max(1, ROUNDS / 100)), () -> withEngine(16L << 20,
                ResultStreamTest::spilling, (sw, dir) -> {
            int cancelled = 0;
            for (int seed = 1; seed <= ROUNDS; seed++) {
                Random r = new Random(seed);
                int kind = r.nextInt(3);
                String what = "seed " + seed + " (kind " + kind + ")";
                int take = r.nextInt(12);
                DataFrame kept = null;
                ResultStream s = query(sw, kind, 24_000 + r.nextInt(32_000)).stream(
                        QueryOptions.builder().streamBuffer(1 + r.nextInt(64 << 10)).build());
                try {
                    for (int i = 0; i < take && s.hasNext(); i++) {
                        DataFrame b = s.next();
                        if (kept == null && r.nextBoolean()) {
                            kept = b;
                        } else {
                            b.close();
                        }
                    }
                    if (r.nextInt(4) == 0) {
                        TimeUnit.MICROSECONDS.sleep(r.nextInt(20_000));
                    }
                    if (!s.handle().isDone()) {
                        cancelled++;
                    }
                } finally {
                    s.close();
                }
                assertTrue(s.handle().isDone(), what + ": close waited for the query's end");
                assertThrows(IllegalStateException.class, s::hasNext, what + ": closed");
                if (kept != null) {
                    assertTrue(kept.rowCount() > 0, what + ": a batch taken stays valid after the stream closed");
                    kept.getLong(0, "k");
                    assertTrue(sw.budget().reserved() > 0, what + ": the batch kept holds its memory");
                    kept.close();
                }
                assertAtRest(sw, what);
            }
            assertTrue(cancelled >= ROUNDS / 10, "seeds closed a running query: " + cancelled);
        }));
    }

    @Test
    void failuresDeadlinesAndTheEngineClosingSurfaceFromHasNext() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> withEngine(CAP, b -> b.morselRows(8192), (sw, dir) -> {
            LazyFrame endless = sw.range("v", 0, 1L << 40).withColumns(col("v").plus(lit(1L)).alias("w")).select("w");
            try (ResultStream s = endless.stream(QueryOptions.builder().deadline(Duration.ofMillis(300)).streamBuffer(1).build())) {
                assertTrue(s.hasNext());
                s.next().close();
                TimeUnit.MILLISECONDS.sleep(500);
                QueryTimeoutException late = assertThrows(QueryTimeoutException.class, () -> {
                    while (s.hasNext()) {
                        s.next().close();
                    }
                });
                assertTrue(late.getMessage().contains("deadline 300 ms"), late.getMessage());
                assertTrue(late.elapsed().compareTo(Duration.ofMillis(300)) >= 0, late.getMessage());
            }
            assertAtRest(sw, "after the deadline");

            // cancel() from another thread wakes the reader waiting for a batch.
            try (ResultStream s = endless.stream(QueryOptions.builder().streamBuffer(1).build())) {
                s.next().close();
                java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(1);
                Thread canceller = Thread.ofPlatform().start(() -> {
                    try {
                        reading.await();
                        TimeUnit.MILLISECONDS.sleep(50);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    s.cancel();
                });
                reading.countDown();
                QueryCancelledException byOther = assertThrows(QueryCancelledException.class, () -> {
                    while (s.hasNext()) {
                        s.next().close();
                    }
                });
                canceller.join();
                assertTrue(byOther.getMessage().endsWith("was cancelled: its result stream was cancelled"), byOther.getMessage());
                assertFalse(s.cancel(), "the query has ended");
            }
            assertAtRest(sw, "after a cancel from another thread");

            Map<String, Object> unsorted = new LinkedHashMap<>();
            unsorted.put("k", new long[] {1, 3, 2, 4});
            LazyFrame bad = sw.fromColumns(unsorted).setSorted("k").join(sw.range("k", 0, 10).setSorted("k"),
                    List.of("k"), List.of("k"), JoinType.INNER, JoinOptions.defaults().withStrategy(JoinStrategy.MERGE));
            QueryExecutionException collected = assertThrows(QueryExecutionException.class, bad::collect);
            try (ResultStream s = bad.stream()) {
                QueryExecutionException streamed = assertThrows(QueryExecutionException.class, () -> {
                    while (s.hasNext()) {
                        s.next().close();
                    }
                });
                assertInstanceOf(UnsortedInputException.class, streamed.getCause());
                assertEquals(collected.getCause().getClass(), streamed.getCause().getClass());
                assertEquals(collected.operator(), streamed.operator());
                assertThrows(QueryExecutionException.class, s::hasNext, "the failure stays");
            }

            ResultStream open = endless.stream();
            open.next().close();
            sw.close();
            QueryCancelledException closed = assertThrows(QueryCancelledException.class, () -> {
                while (open.hasNext()) {
                    open.next().close();
                }
            });
            assertTrue(closed.getMessage().contains("Spillway instance was closed"), closed.getMessage());
            open.close();
            if (sw.budget().reserved() != 0) {
                fail("memory left after the engine closed: " + sw.budget().leakReport());
            }
        }));
    }
}
