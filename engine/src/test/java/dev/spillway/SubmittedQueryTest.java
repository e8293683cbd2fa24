package dev.spillway;

import dev.spillway.errors.QueryCancelledException;
import dev.spillway.errors.QueryTimeoutException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;

import static dev.spillway.EngineTestSupport.withEngine;
import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static dev.spillway.QueryAtRest.assertAtRest;
import static dev.spillway.QueryAtRest.sorted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LazyFrame#submit()} and deadlines: a submitted query gives collect()'s result through
 * {@code await} and its future; cancels at seeded points (through the handle or the future) of
 * spilling queries leave the engine at rest; a deadline cancels with a
 * {@link QueryTimeoutException} naming the deadline and the time run, and frees everything.
 */
class SubmittedQueryTest {
    private static final long CAP = 16L << 20;
    /** Seeds of the cancel test: 100 in CI; more with {@code -Dspillway.submit.rounds=N}. */
    private static final int ROUNDS = Integer.getInteger("spillway.submit.rounds", 100);

    @Test
    void aSubmittedQueryGivesCollectsResultThroughAwaitAndItsFuture() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> withEngine(CAP, ResultStreamTest::spilling, (sw, dir) -> {
            for (int kind = 0; kind < 3; kind++) {
                LazyFrame q = ResultStreamTest.query(sw, kind, 100_000);
                List<List<Object>> expected;
                try (DataFrame df = q.collect()) {
                    expected = df.rows();
                }
                SubmittedQuery h = q.submit(QueryOptions.builder().name("report").build());
                assertTrue(h.name().startsWith("report-"), h.name());
                assertNotNull(h.progress());
                assertEquals(h.name(), h.progress().query());
                try (DataFrame df = h.await()) {
                    assertSame(df, h.await(), "every await gives the same frame");
                    assertSame(df, h.future().join(), "and so does the future");
                    assertTrue(h.isDone());
                    assertFalse(h.cancel(), "a query that succeeded cannot be cancelled");
                    if (kind == 1) {
                        assertEquals(expected, df.rows(), "kind " + kind);
                    } else {
                        assertEquals(sorted(expected), sorted(df.rows()), "kind " + kind);
                    }
                    QueryProfile p = h.profile();
                    assertNotNull(p);
                    assertTrue(p.succeeded() && p.spilledCompressedBytes() > 0, "spilled: " + p.spilledCompressedBytes());
                    assertEquals(expected.size(), df.rowCount());
                    assertTrue(h.progress().rowsProcessed() >= 100_000, "rows processed " + h.progress().rowsProcessed());
                }
                assertAtRest(sw, "kind " + kind);
            }
        }));
    }

    @Test
    void cancelsAtSeededPointsReleaseEverything() {
        assertTimeoutPreemptively(Duration.ofSeconds(120L * Math.max(1, ROUNDS / 100)), () -> withEngine(CAP,
                ResultStreamTest::spilling, (sw, dir) -> {
            int cancelled = 0;
            for (int seed = 1; seed <= ROUNDS; seed++) {
                Random r = new Random(seed);
                int kind = r.nextInt(3);
                String what = "seed " + seed + " (kind " + kind + ")";
                SubmittedQuery h = ResultStreamTest.query(sw, kind, 30_000 + r.nextInt(40_000)).submit();
                int delayMicros = r.nextInt(40_000);
                if (delayMicros > 0) {
                    TimeUnit.MICROSECONDS.sleep(delayMicros);
                }
                boolean viaFuture = r.nextBoolean();
                boolean decided = viaFuture ? h.future().cancel(true) : h.cancel();
                if (decided) {
                    cancelled++;
                    QueryCancelledException e = assertThrows(QueryCancelledException.class, h::await, what);
                    assertTrue(e.getMessage().contains(viaFuture ? "its future was cancelled" : "by its handle"), e.getMessage());
                    assertTrue(e.getMessage().contains(h.name()), e.getMessage());
                    if (viaFuture) {
                        assertThrows(CancellationException.class, () -> h.future().join(), what);
                    }
                } else {
                    try (DataFrame df = h.await()) {
                        assertTrue(df.rowCount() > 0, what + ": the query ended before the cancel, with its result");
                    }
                }
                assertTrue(h.isDone(), what);
                assertAtRest(sw, what);
            }
            assertTrue(cancelled >= ROUNDS / 5, "cancels that landed while the query ran: " + cancelled);
        }));
    }

    @Test
    void aDeadlineCancelsTheQueryNamesItAndFreesEverything() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> withEngine(CAP, ResultStreamTest::spilling, (sw, dir) -> {
            // Far too many rows to finish in time; the sort spills while it runs.
            LazyFrame slow = sw.range("v", 0, 1L << 40).withColumns(col("v").mod(lit(1000L)).alias("k")).sort("k", "v");
            long t0 = System.nanoTime();
            QueryTimeoutException e = assertThrows(QueryTimeoutException.class, () -> slow.collect(Duration.ofMillis(400)));
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(e.getMessage().contains("deadline 400 ms"), e.getMessage());
            assertTrue(e.getMessage().contains(e.query()), e.getMessage());
            assertEquals(Duration.ofMillis(400), e.timeout());
            assertTrue(e.elapsed().compareTo(Duration.ofMillis(400)) >= 0, "ran " + e.elapsed());
            assertTrue(tookMillis >= 400, "returned after " + tookMillis + " ms");
            assertAtRest(sw, "after collect(deadline)");

            SubmittedQuery h = slow.submit(QueryOptions.withDeadline(Duration.ofMillis(300)));
            QueryTimeoutException viaHandle = assertThrows(QueryTimeoutException.class, h::await);
            assertTrue(viaHandle.getMessage().contains("deadline 300 ms"), viaHandle.getMessage());
            assertAtRest(sw, "after a submitted query's deadline");

            SubmittedQuery waited = slow.submit();
            QueryTimeoutException awaited = assertThrows(QueryTimeoutException.class, () -> waited.await(Duration.ofMillis(200)));
            assertEquals(Duration.ofMillis(200), awaited.timeout());
            assertTrue(waited.isDone());
            assertAtRest(sw, "after a timed await");

            // The same query with room to finish succeeds.
            try (DataFrame df = sw.range("v", 0, 10_000).sort("v").collect(Duration.ofSeconds(30))) {
                assertEquals(10_000, df.rowCount());
            }
            assertAtRest(sw, "after a query that met its deadline");
        }));
    }

    @Test
    void anInterruptOfTheWaitingThreadCancels() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> withEngine(CAP, ResultStreamTest::spilling, (sw, dir) -> {
            SubmittedQuery h = sw.range("v", 0, 1L << 40).withColumns(col("v").mod(lit(1000L)).alias("k")).sort("k").submit();
            Thread.currentThread().interrupt();
            QueryCancelledException e = assertThrows(QueryCancelledException.class, h::await);
            assertTrue(Thread.interrupted(), "the interrupt flag is restored");
            assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
            assertAtRest(sw, "after the interrupt");
        }));
    }
}
