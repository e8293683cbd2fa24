package dev.spillway;

import dev.spillway.options.JoinOptions;

import dev.spillway.event.BacklogSpilled;
import dev.spillway.event.MultiplexerInputComplete;
import dev.spillway.event.MultiplexerReaderDetached;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.MemoryManager;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.operators.OperatorContext;
import dev.spillway.options.CsvOptions;
import dev.spillway.options.BuildSide;
import dev.spillway.options.JoinType;
import dev.spillway.plan.LogicalPlan;
import dev.spillway.plan.Optimizer;
import dev.spillway.plan.PhysicalPlanner;
import dev.spillway.scheduler.QueryContext;
import dev.spillway.scheduler.QueryPlan;
import dev.spillway.scheduler.Sink;
import dev.spillway.scheduler.TaskContext;
import dev.spillway.spill.SpillDirectory;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A multiplexer whose consumers progress at different speeds: the slow one's backlog spills and is
 * read back in order, the fast one is not held back, memory stays under the cap; and an
 * order-preserving file sink shares a cache with a join build that must finish first.
 */
class MultiplexerBacklogTest {
    /**
     * A consumer that checks what it receives: dense sequence numbers, every row once, {@code y = 3x}
     * on every row, and (per sequence number) increasing {@code x}. While {@code gate} says no it is
     * not {@link #ready()}, so workers do not pull for it — a consumer that does not keep up at all.
     */
    private static final class CheckingSink implements Sink<Void> {
        private final BooleanSupplier gate;
        private final long sleepNanosPerMorsel;
        private final TreeMap<Long, long[]> firstAndLast = new TreeMap<>();
        private final AtomicLong rows = new AtomicLong();
        private final AtomicLong sumX = new AtomicLong();
        private final CountDownLatch done = new CountDownLatch(1);
        private volatile String error;

        CheckingSink(BooleanSupplier gate, long sleepNanosPerMorsel) {
            this.gate = gate;
            this.sleepNanosPerMorsel = sleepNanosPerMorsel;
        }

        @Override
        public String name() {
            return "checking sink";
        }

        @Override
        public Void createLocal(TaskContext ctx) {
            return null;
        }

        @Override
        public boolean ready() {
            return gate.getAsBoolean();
        }

        @Override
        public void consume(Void local, Morsel m, TaskContext ctx) {
            try (m) {
                if (sleepNanosPerMorsel > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(sleepNanosPerMorsel);
                }
                var x = m.column("x");
                var y = m.column("y");
                long s = 0;
                for (int i = 0; i < m.rowCount(); i++) {
                    long xv = (Long) x.getObject(i);
                    if ((Long) y.getObject(i) != 3 * xv) {
                        error = "row " + xv + " has y=" + y.getObject(i);
                    }
                    s += xv;
                }
                sumX.addAndGet(s);
                rows.addAndGet(m.rowCount());
                synchronized (firstAndLast) {
                    if (firstAndLast.put(m.sequence(), new long[] {(Long) x.getObject(0),
                            (Long) x.getObject(m.rowCount() - 1)}) != null) {
                        error = "sequence " + m.sequence() + " delivered twice";
                    }
                }
            }
        }

        @Override
        public void combine(Void local, TaskContext ctx) {
        }

        @Override
        public void finish(TaskContext ctx) {
            done.countDown();
        }

        /** Fails unless exactly rows {@code [0, n)} arrived, under dense sequence numbers, in order. */
        void check(long n, String who) {
            assertEquals(null, error, who);
            assertEquals(n, rows.get(), who + " rows");
            assertEquals(n * (n - 1) / 2, sumX.get(), who + " sum of x");
            long expectSeq = 0;
            long lastX = -1;
            for (Map.Entry<Long, long[]> e : firstAndLast.entrySet()) {
                assertEquals(expectSeq++, e.getKey(), who + ": sequence numbers are dense from 0");
                assertEquals(lastX + 1, e.getValue()[0], who + ": morsel " + e.getKey() + " continues the previous one");
                lastX = e.getValue()[1];
            }
        }
    }

    @Test
    void aConsumerThatDoesNotKeepUpSpillsItsBacklogWithoutHoldingBackTheOther() {
        long cap = 24L << 20;
        long n = 1_500_000;
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> LeakCheck.assertNoLeaks(mem -> {
            Path spill = mem.tempRoot().resolve("spill");
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            try (Spillway sw = Spillway.builder().memoryLimit(cap).threads(2).morselRows(8192).tempDir(spill).build()) {
                LazyFrame c = sw.range("x", 0, n).withColumns(col("x").times(lit(3L)).alias("y")).cache();
                CheckingSink fast = new CheckingSink(() -> true, 0);
                // The slow consumer takes nothing until the fast one has had everything, then
                // takes its time: its whole input (24 MB of columns) must wait in its backlog.
                CheckingSink slow = new CheckingSink(() -> fast.done.getCount() == 0, 200_000);
                List<LogicalPlan> plans = Optimizer.optimizeAll(List.of(c.logicalPlan(), c.logicalPlan()));
                MemoryBudget budget = sw.budget().child("slow-consumer");
                MemoryManager manager = new MemoryManager(budget);
                SpillDirectory spills = sw.spills().createQueryDirectory("slow-consumer", budget);
                try {
                    QueryPlan qp = new PhysicalPlanner(OperatorContext.of(sw.pool(), budget, spills)
                            .withEvents(events::add).withOutputRows(8192), manager, 2)
                            .plan(plans, List.of(fast, slow), "slow-consumer");
                    sw.workers().submit(qp, new QueryContext("slow-consumer")).await();
                } finally {
                    try {
                        spills.close();
                    } finally {
                        manager.close();
                        budget.close();
                    }
                }
                fast.check(n, "fast consumer");
                slow.check(n, "slow consumer");
                assertTrue(sw.budget().peak() <= cap, "peak " + sw.budget().peak() + " within the cap " + cap);
                long spilled = spilledBytes(events, 1);
                assertTrue(spilled >= 16L << 20, "the slow consumer's backlog spilled most of its input: " + spilled
                        + " bytes; events: " + events);
            } finally {
                Files.deleteIfExists(spill);
            }
        }));
    }

    /** A cached input that fails half-way (a malformed CSV row) fails the whole run and leaves nothing behind. */
    @Test
    void aFailingCachedInputFailsEveryTargetAndLeavesNothing() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> EngineTestSupport.withEngine((ignored, dir) -> {
            Path bad = dir.resolve("bad.csv");
            StringBuilder sb = new StringBuilder("k,v\n");
            for (int i = 0; i < 20_000; i++) {
                sb.append(i % 300).append(',').append(i).append('\n');
            }
            sb.append("7,oops\n");
            Files.writeString(bad, sb.toString());
            Path spill = dir.resolve("spill");
            try (Spillway sw = Spillway.builder().memoryLimit(8L << 20).threads(2).morselRows(1024).forceSpill(1.0)
                    .tempDir(spill).build()) {
                LazyFrame c = sw.scanCsv(bad).cache();
                Path a = dir.resolve("a.csv");
                Path b = dir.resolve("b.arrow");
                RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                        () -> sw.sinkAll(SinkTarget.csv(c, a), SinkTarget.ipc(c.join(c, "k", JoinType.INNER), b)));
                assertTrue(e.getMessage().contains("bad.csv:20002: column 2 ('v')") && e.getMessage().contains("'oops'"),
                        "the error names the file, line and column: " + e.getMessage());
                assertEquals(0, sw.budget().reserved(), "the failed run released its memory");
                try (var files = Files.list(dir)) {
                    assertEquals(List.of("bad.csv"), files.map(p -> p.getFileName().toString()).filter(n -> !n.equals("spill"))
                            .toList(), "no output or temporary file is left");
                }
            }
            try (var left = Files.list(spill)) {
                assertEquals(0, left.count(), "no spill directory left");
            }
            Files.delete(spill);
            Files.delete(bad);
        }));
    }

    /**
     * A cache read in full by a CSV sink and by a {@code head(10)}: under forced spilling and a
     * small cap, the head's reader detaches once satisfied, so its backlog stops taking (and
     * spilling) morsels while the full reader's backlog takes every one; both results are exact.
     */
    @Test
    void aReaderStoppedByHeadDetachesAndItsBacklogStopsGrowing() {
        long n = 1_000_000;
        int morselRows = 2048;
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> EngineTestSupport.withEngine((ignored, dir) -> {
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            Path spill = dir.resolve("spill");
            try (Spillway sw = Spillway.builder().memoryLimit(16L << 20).threads(2).morselRows(morselRows).forceSpill(1.0)
                    .tempDir(spill).eventListener(events::add).build()) {
                LazyFrame c = sw.range("x", 0, n).withColumns(col("x").times(lit(3L)).alias("y")).cache();
                Path full = dir.resolve("full.csv");
                Path head = dir.resolve("head.csv");
                long[] written = sw.sinkAll(SinkTarget.csv(c, full), SinkTarget.csv(c.head(10), head));
                assertEquals(n, written[0]);
                assertEquals(10, written[1]);
                assertEquals(0, sw.budget().reserved(), "the run released every backlog");
                assertEquals(0, sw.pool().outstandingBuffers(), "and gave every buffer back to the pool");
                // The full copy is larger than the cap: checked line by line rather than collected.
                try (var lines = Files.newBufferedReader(full)) {
                    assertEquals("x,y", lines.readLine());
                    for (long i = 0; i < n; i++) {
                        assertEquals(i + "," + 3 * i, lines.readLine(), "row " + i + " of the full copy, in order");
                    }
                    assertEquals(null, lines.readLine(), "nothing after the last row");
                }
                try (DataFrame df = sw.scanCsv(head, CsvOptions.defaults().withSchema(c.schema())).collect()) {
                    List<List<Object>> expected = new ArrayList<>();
                    for (long i = 0; i < 10; i++) {
                        expected.add(Arrays.asList(i, 3 * i));
                    }
                    assertEquals(expected, df.rows(), "the head reads the first ten rows");
                }
                assertTrue(sw.budget().peak() <= 16L << 20, "peak " + sw.budget().peak() + " within the cap");
                Files.delete(full);
                Files.delete(head);
            }
            Files.deleteIfExists(spill);
            String log = events.toString();
            List<MultiplexerReaderDetached> detached = events.stream().filter(e -> e instanceof MultiplexerReaderDetached)
                    .map(MultiplexerReaderDetached.class::cast).toList();
            assertEquals(1, detached.size(), "only the head's reader detaches: " + log);
            MultiplexerReaderDetached d = detached.getFirst();
            assertEquals(1, d.readersLeft());
            MultiplexerInputComplete in = events.stream().filter(e -> e instanceof MultiplexerInputComplete)
                    .map(MultiplexerInputComplete.class::cast).findFirst().orElseThrow(() -> new AssertionError(log));
            assertTrue(in.morsels() >= n / morselRows, "the producer published its whole input for the full reader: " + in);
            int fullReader = 1 - d.consumer();
            long early = spilledMorsels(events, d.consumer());
            long whole = spilledMorsels(events, fullReader);
            // Every morsel is forced to disk from every attached backlog right after it is published
            // (unless its reader took it in between).
            assertTrue(early <= d.published(), "nothing was added to the head's backlog after it detached: " + early
                    + " spilled, " + d.published() + " published by then");
            assertTrue(d.published() < in.morsels() && early < whole, "the head's backlog took and spilled less than a full copy: "
                    + early + " morsels spilled, the full reader's " + whole + ", published " + in.morsels());
        }));
    }

    /**
     * Two {@code head}s over one cache of ten million rows: once both readers detach, the producer
     * stops early instead of publishing its whole input to nobody.
     */
    @Test
    void whenEveryReaderStopsEarlyTheProducerStopsToo() {
        long n = 10_000_000;
        int morselRows = 4096;
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> EngineTestSupport.withEngine((ignored, dir) -> {
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            Path spill = dir.resolve("spill");
            try (Spillway sw = Spillway.builder().memoryLimit(16L << 20).threads(2).morselRows(morselRows).forceSpill(1.0)
                    .tempDir(spill).eventListener(events::add).build()) {
                LazyFrame c = sw.range("x", 0, n).cache();
                Path a = dir.resolve("a.csv");
                Path b = dir.resolve("b.csv");
                long[] written = sw.sinkAll(SinkTarget.csv(c.head(10), a), SinkTarget.csv(c.slice(5, 3), b));
                assertEquals(10, written[0]);
                assertEquals(3, written[1]);
                assertEquals(0, sw.budget().reserved(), "the run released every backlog");
                assertEquals(0, sw.pool().outstandingBuffers(), "and gave every buffer back to the pool");
                try (DataFrame df = sw.scanCsv(a, CsvOptions.defaults().withSchema(c.schema())).collect();
                     DataFrame df2 = sw.scanCsv(b, CsvOptions.defaults().withSchema(c.schema())).collect()) {
                    List<List<Object>> first = new ArrayList<>();
                    for (long i = 0; i < 10; i++) {
                        first.add(List.of(i));
                    }
                    assertEquals(first, df.rows());
                    assertEquals(first.subList(5, 8), df2.rows());
                }
                Files.delete(a);
                Files.delete(b);
            }
            Files.deleteIfExists(spill);
            String log = events.toString();
            assertEquals(2, events.stream().filter(e -> e instanceof MultiplexerReaderDetached).count(), log);
            assertTrue(events.stream().anyMatch(e -> e instanceof MultiplexerReaderDetached d && d.readersLeft() == 0), log);
            MultiplexerInputComplete in = events.stream().filter(e -> e instanceof MultiplexerInputComplete)
                    .map(MultiplexerInputComplete.class::cast).findFirst().orElseThrow(() -> new AssertionError(log));
            assertTrue(in.rows() < n / 10, "the producer stopped early: " + in);
        }));
    }

    private static long spilledMorsels(List<SpillwayEvent> events, int consumer) {
        long total = 0;
        for (SpillwayEvent e : events) {
            if (e instanceof BacklogSpilled b && b.consumer() == consumer) {
                total += b.morsels();
            }
        }
        return total;
    }

    private static long spilledBytes(List<SpillwayEvent> events, int consumer) {
        long total = 0;
        for (SpillwayEvent e : events) {
            if (e instanceof BacklogSpilled b && b.consumer() == consumer) {
                total += b.bytes();
            }
        }
        return total;
    }

    /**
     * One cache read by an ordered CSV sink and by the build side of a join whose probe side is
     * another input: the sink's sequence numbers come from its own backlog, so it never waits for a
     * morsel held by the join; under a tiny cap both backlogs spill.
     */
    @Test
    void anOrderedFileSinkAndAJoinBuildShareACache() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> EngineTestSupport.withEngine((ignored, dir) -> {
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            Path spill = dir.resolve("spill");
            Random rnd = new Random(11);
            List<List<Object>> rows = MultiplexerDifferentialTest.rows(rnd, 30_000);
            try (Spillway sw = Spillway.builder().memoryLimit(8L << 20).threads(2).morselRows(1024).forceSpill(1.0)
                    .tempDir(spill).eventListener(events::add).build()) {
                Path in = dir.resolve("in.csv");
                sw.fromColumns(MultiplexerDifferentialTest.columns(rows)).sinkCsv(in);
                LazyFrame c = sw.scanCsv(in, CsvOptions.defaults().withSchema(MultiplexerDifferentialTest.SCHEMA)).cache();
                LazyFrame probe = sw.range("k", 0, 50);
                LazyFrame joined = probe.join(c, List.of("k"), List.of("k"), JoinType.INNER,
                        JoinOptions.defaults().withBuildSide(BuildSide.RIGHT));
                Path copy = dir.resolve("copy.csv");
                Path matches = dir.resolve("matches.csv");
                long[] written = sw.sinkAll(SinkTarget.csv(c, copy), SinkTarget.csv(joined, matches));
                List<List<Object>> expectedMatches = new ArrayList<>();
                for (List<Object> r : rows) {
                    if (r.get(0) != null && (Long) r.get(0) < 50) {
                        expectedMatches.add(Arrays.asList(r.get(0), r.get(1), r.get(2)));
                    }
                }
                assertEquals(rows.size(), written[0]);
                assertEquals(expectedMatches.size(), written[1]);
                try (DataFrame df = sw.scanCsv(copy, CsvOptions.defaults().withSchema(MultiplexerDifferentialTest.SCHEMA))
                        .collect()) {
                    assertEquals(rows, df.rows(), "the CSV copy has every row in input order");
                }
                try (DataFrame df = sw.scanCsv(matches, CsvOptions.defaults().withSchema(joined.schema())).collect()) {
                    DifferentialSupport.assertSameRows(expectedMatches, df.rows(), "join on the cache's build side");
                }
                assertTrue(events.stream().anyMatch(e -> e instanceof BacklogSpilled), "spilled");
                Files.delete(in);
                Files.delete(copy);
                Files.delete(matches);
            }
            Files.deleteIfExists(spill);
        }));
    }
}
