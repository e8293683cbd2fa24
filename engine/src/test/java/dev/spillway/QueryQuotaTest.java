package dev.spillway;

import dev.spillway.memory.Bytes;
import dev.spillway.errors.MemoryLimitExceededException;
import dev.spillway.options.JoinType;
import dev.spillway.errors.QueryExecutionException;
import dev.spillway.errors.SpillQuotaExceededException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static dev.spillway.EngineTestSupport.withEngine;
import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static dev.spillway.QueryAtRest.assertAtRest;
import static dev.spillway.QueryAtRest.sorted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-query quotas ({@link QueryOptions}): a memory quota far below the engine's limit makes the
 * query's operators spill and the result stays exact; a query whose unspillable memory exceeds
 * its quota fails naming the query and the quota; a spill quota fails the query with a
 * {@link SpillQuotaExceededException} naming both; the engine is at rest after each.
 */
class QueryQuotaTest {
    private static final long QUOTA = 8L << 20;

    /** A group-by of 250,000 keys and a join with a 125,000-row build side: tens of MiB of state each, and of result. */
    private static List<LazyFrame> queries(Spillway sw) {
        LazyFrame in = sw.range("v", 0, 500_000).withColumns(col("v").mod(lit(250_000L)).alias("k"));
        LazyFrame groupBy = in.groupBy("k").agg(col("v").sum().alias("s"), col("v").count().alias("n"));
        LazyFrame join = in.join(sw.range("k", 0, 125_000).withColumns(col("k").times(lit(7L)).alias("w")), "k", JoinType.INNER)
                .select(col("v"), col("w"));
        return List.of(groupBy, join);
    }

    /** The queries above summed up to one row: their state is large, their result is not (a collected result counts against the quota). */
    private static List<LazyFrame> summed(Spillway sw) {
        List<LazyFrame> q = queries(sw);
        return List.of(q.get(0).select(col("s").sum().alias("s"), col("n").sum().alias("n"), col("k").count().alias("keys")),
                q.get(1).select(col("v").sum().alias("v"), col("w").sum().alias("w"), col("v").count().alias("n")));
    }

    /** The group-by's rows, from java.util: key k has v = k and v = k + 250,000. */
    private static List<List<Object>> groupByOracle() {
        List<List<Object>> rows = new java.util.ArrayList<>();
        for (long k = 0; k < 250_000; k++) {
            rows.add(List.of(k, 2 * k + 250_000, 2L));
        }
        return rows;
    }

    /** The join's rows, from java.util: every v whose key v % 250,000 is below 125,000, with w = 7 * key. */
    private static List<List<Object>> joinOracle() {
        List<List<Object>> rows = new java.util.ArrayList<>();
        for (long v = 0; v < 500_000; v++) {
            long k = v % 250_000;
            if (k < 125_000) {
                rows.add(List.of(v, 7 * k));
            }
        }
        return rows;
    }

    @Test
    void aMemoryQuotaMakesTheQuerySpillAndItsResultStaysExact() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> withEngine((sw, dir) -> {
            QueryOptions quota = QueryOptions.builder().name("quota").memoryQuota(QUOTA).build();
            for (LazyFrame q : summed(sw)) {
                List<List<Object>> free;
                try (DataFrame df = q.collect()) {
                    free = df.rows();
                }
                assertEquals(0, sw.lastProfile().spilledCompressedBytes(), "256 MiB: no spill without the quota");
                try (DataFrame df = q.collect(quota)) {
                    QueryProfile p = sw.lastProfile();
                    assertTrue(p.query().startsWith("quota-"), p.query());
                    assertTrue(p.spilledCompressedBytes() > 0, "the quota made it spill");
                    assertTrue(p.peakBytes() <= QUOTA, "peak " + Bytes.format(p.peakBytes()) + " within the quota");
                    assertEquals(QUOTA, p.capBytes(), "the profile's cap is the quota");
                    assertEquals(free, df.rows(), "exact under the quota");
                }
                assertAtRest(sw, "after " + q);
            }
            // Streams hold only their buffer of the result: the whole output fits through the quota.
            List<LazyFrame> full = queries(sw);
            for (int i = 0; i < full.size(); i++) {
                LazyFrame q = full.get(i);
                List<List<Object>> free = i == 0 ? groupByOracle() : joinOracle();
                List<List<Object>> streamed = new java.util.ArrayList<>();
                try (ResultStream s = q.stream(quota)) {
                    while (s.hasNext()) {
                        try (DataFrame b = s.next()) {
                            streamed.addAll(b.rows());
                        }
                    }
                    assertTrue(s.profile().spilledCompressedBytes() > 0, "the stream's query spilled too");
                    assertTrue(s.profile().peakBytes() <= QUOTA, "peak " + Bytes.format(s.profile().peakBytes()));
                }
                assertEquals(sorted(free), sorted(streamed), "a stream under the quota is exact");
                assertAtRest(sw, "after streaming " + q);
            }
        }));
    }

    @Test
    void aResultLargerThanTheMemoryQuotaFailsCollectButStreams() {
        // A refusal by the query's own quota does not wait for other queries' memory (the long
        // memory wait here would outlast the test's timeout): another query's releases cannot help.
        assertTimeoutPreemptively(Duration.ofSeconds(40), () -> withEngine(256L << 20,
                b -> b.memoryWait(Duration.ofSeconds(120)), (sw, dir) -> {
            // 3 million rows of two int64 columns: 48 MB of result, nothing spillable on the way.
            LazyFrame big = sw.range("v", 0, 3_000_000).withColumns(col("v").plus(lit(1L)).alias("w"));
            QueryOptions quota = QueryOptions.builder().name("big-result").memoryQuota("4m").build();
            QueryExecutionException e;
            // Another query holds memory meanwhile: a stream whose consumer does not pull.
            try (ResultStream other = sw.range("x", 0, 1L << 40).stream(QueryOptions.builder().streamBuffer(4L << 20).build())) {
                other.next().close();
                e = assertThrows(QueryExecutionException.class, () -> big.collect(quota));
                assertTrue(other.progress().reservedBytes() > 0, "the other query held memory");
            }
            MemoryLimitExceededException m = causeOf(e, MemoryLimitExceededException.class);
            assertNotNull(m, "caused by the quota: " + e);
            assertTrue(e.query().startsWith("big-result-"), e.query());
            assertTrue(m.getMessage().contains(e.query()), "names the query: " + m.getMessage());
            assertTrue(m.getMessage().contains("4.0 MiB"), "names the quota: " + m.getMessage());
            assertEquals(4L << 20, m.capBytes());
            assertAtRest(sw, "after the refused collect");

            AtomicLong rows = new AtomicLong();
            AtomicLong sum = new AtomicLong();
            big.forEachBatch(quota, b -> {
                rows.addAndGet(b.rowCount());
                for (long i = 0; i < b.rowCount(); i++) {
                    sum.addAndGet(b.getLong(i, "w"));
                }
            });
            assertEquals(3_000_000, rows.get(), "the stream holds only its buffer, within the quota");
            assertEquals(3_000_000L * 3_000_001L / 2, sum.get());
            assertAtRest(sw, "after the stream");
        }));
    }

    @Test
    void aSpillQuotaFailsTheQueryNamingItAndTheQuota() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> withEngine((sw, dir) -> {
            LazyFrame groupBy = summed(sw).getFirst();
            QueryOptions tight = QueryOptions.builder().name("tight").memoryQuota(QUOTA).spillQuota("256k").build();
            QueryExecutionException e = assertThrows(QueryExecutionException.class, () -> groupBy.collect(tight));
            SpillQuotaExceededException q = causeOf(e, SpillQuotaExceededException.class);
            assertNotNull(q, "caused by the spill quota: " + e);
            assertTrue(q.query().startsWith("tight-"), q.query());
            assertEquals(256L << 10, q.quotaBytes());
            assertTrue(q.spilledBytes() + q.requestedBytes() > q.quotaBytes(), q.getMessage());
            assertTrue(q.getMessage().contains(q.query()) && q.getMessage().contains("spill-disk quota of 256.0 KiB"),
                    q.getMessage());
            assertAtRest(sw, "after the spill quota");

            try (DataFrame df = groupBy.collect(tight.toBuilder().spillQuota("1g").build())) {
                assertEquals(250_000L, df.getLong(0, "keys"), "a quota with room succeeds");
            }
            assertAtRest(sw, "after the roomy quota");
        }));
    }

    @Test
    void badOptionsAreRefusedWithWhatWouldBeValid() {
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> QueryOptions.builder().memoryQuota(1 << 20));
        assertTrue(small.getMessage().contains("below the working minimum of 4 MiB"), small.getMessage());
        assertThrows(IllegalArgumentException.class, () -> QueryOptions.builder().spillQuota(-1));
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> QueryOptions.builder().deadline(Duration.ZERO));
        assertTrue(zero.getMessage().contains("deadline must be positive"), zero.getMessage());
        assertThrows(IllegalArgumentException.class, () -> QueryOptions.builder().name(" "));
        assertThrows(IllegalArgumentException.class, () -> QueryOptions.builder().streamBuffer(0));
        QueryOptions o = QueryOptions.builder().memoryQuota("64m").spillQuota("1g").deadline(Duration.ofSeconds(5)).build();
        assertEquals(64L << 20, o.memoryQuotaBytes());
        assertEquals(1L << 30, o.spillQuotaBytes());
        assertEquals(Duration.ofSeconds(5), o.deadline());
        assertEquals(-1, QueryOptions.defaults().memoryQuotaBytes());
    }

    private static <T extends Throwable> T causeOf(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
            for (Throwable s : c.getSuppressed()) {
                if (type.isInstance(s)) {
                    return type.cast(s);
                }
            }
        }
        return null;
    }
}
