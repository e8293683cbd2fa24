package dev.spillway.scheduler;

import dev.spillway.errors.QueryCancelledException;
import dev.spillway.errors.QueryExecutionException;
import dev.spillway.errors.QueryTimeoutException;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.TestPipelines.NativeLocal;
import dev.spillway.scheduler.TestPipelines.NativeSumSink;
import dev.spillway.scheduler.TestPipelines.RangeSource;
import dev.spillway.scheduler.TestPipelines.TestOperator;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A seeded random mix of queries on one pool — succeeding, failing at a random morsel, refused by
 * their sink at random, cancelled at a random moment, timing out — checked one by one against
 * what each must report, and for leaks of native memory, spill files and threads at the end.
 * Set {@code -Dspillway.seed=...} to replay a failure.
 */
class WorkerPoolStressTest {
    private enum Kind { OK, FAILS, REFUSED, CANCELLED, TIMES_OUT }

    private record Expectation(Kind kind, QueryHandle handle, NativeSumSink sink, long sum, boolean cancelledByUs) {
    }

    @Test
    void randomMixOfQueriesFailuresAndCancellationsLeavesNothingBehind() {
        long seed = Long.getLong("spillway.seed", System.nanoTime());
        String replay = " (replay with -Dspillway.seed=" + seed + ")";
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> assertNoLeaks(mem -> {
            Random rnd = new Random(seed);
            List<Thread> workers;
            try (WorkerPool pool = new WorkerPool(1 + rnd.nextInt(3))) {
                workers = pool.workerThreads();
                List<Expectation> queries = new ArrayList<>();
                for (int q = 0; q < 150; q++) {
                    Kind kind = Kind.values()[rnd.nextInt(Kind.values().length)];
                    String name = "q" + q + "-" + kind;
                    int rows = 50 + rnd.nextInt(400);
                    int morsels = 1 + rnd.nextInt(60);
                    long end = kind == Kind.CANCELLED || kind == Kind.TIMES_OUT ? Long.MAX_VALUE : (long) rows * morsels;
                    RangeSource src = new RangeSource(0, end, rows, mem.pool(), mem.budget());
                    List<Operator> ops = new ArrayList<>();
                    ops.add(new TestOperator("pass", 0, -1));
                    if (kind == Kind.FAILS) {
                        ops.add(new TestOperator("fails", 0, 1 + rnd.nextInt(morsels)));
                    }
                    long refuseSeed = rnd.nextLong();
                    NativeSumSink sink = kind == Kind.REFUSED ? refusingSink(mem.pool(), mem.budget(), refuseSeed)
                            : new NativeSumSink(mem.pool(), mem.budget());
                    QueryContext ctx = kind == Kind.TIMES_OUT ? new QueryContext(name, Duration.ofMillis(1 + rnd.nextInt(5)))
                            : new QueryContext(name);
                    ctx.register(spillFile(mem.tempRoot(), name));
                    Pipeline p = new Pipeline("p", src, ops, sink, 1 + rnd.nextInt(6));
                    QueryHandle h = pool.submit(new QueryPlan(name, List.of(p)), ctx);
                    boolean cancelled = false;
                    if (kind == Kind.CANCELLED) {
                        if (rnd.nextBoolean()) {
                            Thread.onSpinWait();
                        }
                        cancelled = h.cancel();
                    }
                    queries.add(new Expectation(kind, h, sink, TestPipelines.sum(0, end == Long.MAX_VALUE ? 0 : end),
                            cancelled));
                }
                for (Expectation e : queries) {
                    check(e, replay);
                }
                assertEquals(150, pool.stats().queriesRun(), replay);
                assertEquals(0, pool.stats().queuedTasks(), replay);
            }
            for (Thread t : workers) {
                assertTrue(!t.isAlive(), "worker thread left behind: " + t + replay);
            }
        }));
    }

    private static void check(Expectation e, String replay) {
        String what = e.handle().name() + replay;
        Throwable thrown = null;
        try {
            e.handle().await();
        } catch (QueryExecutionException t) {
            thrown = t;
        }
        switch (e.kind()) {
            case OK, REFUSED -> {
                assertNull(thrown, what);
                assertEquals(e.sum(), e.sink().result, what);
            }
            case FAILS -> {
                QueryExecutionException q = assertInstanceOf(QueryExecutionException.class, thrown, what);
                assertEquals("fails", q.operator(), what);
                assertEquals("p", q.pipeline(), what);
                assertTrue(q.getCause().getMessage().startsWith("boom on morsel"), what);
            }
            case CANCELLED -> {
                if (!e.cancelledByUs()) {
                    fail("an endless query cannot have ended before it was cancelled: " + what);
                }
                assertInstanceOf(QueryCancelledException.class, thrown, what);
            }
            case TIMES_OUT -> assertInstanceOf(QueryTimeoutException.class, thrown, what);
            default -> fail(what);
        }
        assertTrue(e.handle().isDone(), what);
    }

    private static NativeSumSink refusingSink(dev.spillway.memory.BlockPool pool, dev.spillway.memory.MemoryBudget budget,
                                              long seed) {
        AtomicLong state = new AtomicLong(seed);
        return new NativeSumSink(pool, budget) {
            @Override
            public boolean offer(NativeLocal local, Morsel morsel, TaskContext ctx) {
                // A cheap thread-safe coin: refuse about half of the offers.
                long s = state.updateAndGet(x -> x * 6364136223846793005L + 1442695040888963407L);
                if ((s >>> 63) == 0) {
                    return false;
                }
                consume(local, morsel, ctx);
                return true;
            }
        };
    }

    private static AutoCloseable spillFile(Path root, String name) throws IOException {
        Path f = Files.writeString(root.resolve(name), name);
        return () -> {
            try {
                Files.delete(f);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }
}
