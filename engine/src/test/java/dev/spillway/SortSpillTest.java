package dev.spillway;

import dev.spillway.event.SortFinalMerge;
import dev.spillway.event.SortMergePass;
import dev.spillway.event.SortRunSpilled;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.types.DataType;
import dev.spillway.errors.MemoryLimitExceededException;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.errors.QueryExecutionException;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The out-of-core paths of the sort: many spilled runs merged in several passes with a small
 * fan-in (never more spill readers open than the fan-in), spilling under real memory pressure,
 * order kept through streaming operators and the CSV sink, and the explained plan.
 */
class SortSpillTest {

    /** 20,000 rows whose key has many duplicates; value = row number, so order is checkable. */
    private static LazyFrame keyed(Spillway sw, long rows) {
        return sw.range("v", 0, rows).withColumns(col("v").times(lit(7919L)).mod(lit(1000L)).alias("k"));
    }

    @Test
    void manyRunsMergeInSeveralPassesWithinTheFanIn() {
        LeakCheck.assertNoLeaks(mem -> {
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            try (Spillway sw = Spillway.builder().memoryLimit(16L << 20).threads(2).morselRows(256).forceSpill(1.0).sortFanIn(4)
                    .tempDir(mem.tempRoot().resolve("s")).eventListener(events::add).build()) {
                try (DataFrame df = keyed(sw, 20_000).sortStable(SortKey.desc("k"), SortKey.asc("v")).collect()) {
                    assertEquals(20_000, df.rowCount());
                    long prevK = Long.MAX_VALUE;
                    long prevV = -1;
                    for (long r = 0; r < df.rowCount(); r++) {
                        long k = df.getLong(r, "k");
                        long v = df.getLong(r, "v");
                        assertTrue(k < prevK || k == prevK && v > prevV, "row " + r + " out of order");
                        prevK = k;
                        prevV = v;
                    }
                }
                assertTrue(sw.budget().peak() <= 16L << 20, "peak " + sw.budget().peak());
            } finally {
                Files.deleteIfExists(mem.tempRoot().resolve("s"));
            }
            int maxPass = 0;
            int merges = 0;
            int readerLines = 0;
            for (SpillwayEvent e : events) {
                if (e instanceof SortMergePass pass) {
                    merges++;
                    maxPass = Math.max(maxPass, pass.pass());
                    assertTrue(pass.runs() <= 4, e.line());
                    readerLines++;
                    assertTrue(pass.openReaders() <= 4, "more spill readers open than the fan-in: " + e.line());
                } else if (e instanceof SortFinalMerge last) {
                    readerLines++;
                    assertTrue(last.maxOpenReaders() <= 4, "more spill readers open than the fan-in: " + e.line());
                }
            }
            assertTrue(merges >= 3 && maxPass >= 2, "several merge passes expected, got " + merges + " merges, deepest pass "
                    + maxPass + ": " + events);
            assertTrue(readerLines > merges, "the open readers were reported");
            assertTrue(events.stream().anyMatch(e -> e instanceof SortRunSpilled r && r.file() != null),
                    "runs were spilled");
            assertTrue(events.stream().anyMatch(e -> e instanceof SortFinalMerge f && f.spilled() >= 1 && f.spilled() <= 4
                    && f.fanIn() == 4),
                    "the final merge reads at most the fan-in spilled runs: " + events);
        });
    }

    @Test
    void spillsUnderMemoryPressureAndStaysUnderTheCap() {
        LeakCheck.assertNoLeaks(mem -> {
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            long cap = 24L << 20;
            Path out = mem.dataDir().resolve("pressure.csv");
            try (Spillway sw = Spillway.builder().memoryLimit(cap).threads(2).morselRows(16_384)
                    .tempDir(mem.tempRoot().resolve("p")).eventListener(events::add).build()) {
                long rows = 1_000_000;
                // The result (16 MB of values) goes to a file: more than the cap could hold at once.
                assertEquals(rows, keyed(sw, rows).sort("k", "v").sinkCsv(out));
                assertTrue(sw.budget().peak() <= cap, "peak " + sw.budget().peak() + " over the cap " + cap);
                long count = 0;
                long prev = -1;
                try (var lines = Files.lines(out)) {
                    for (String line : (Iterable<String>) lines.skip(1)::iterator) {
                        int comma = line.indexOf(',');
                        long v = Long.parseLong(line.substring(0, comma));
                        long k = Long.parseLong(line.substring(comma + 1));
                        long key = k * rows + v;
                        assertTrue(key > prev, "line " + count + " out of order: " + line);
                        prev = key;
                        count++;
                    }
                }
                assertEquals(rows, count);
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(mem.tempRoot().resolve("p"));
            }
            assertTrue(events.stream().anyMatch(e -> e instanceof SortRunSpilled), "pressure made runs spill: " + events);
        });
    }

    @Test
    void aResultLargerThanTheCapFailsCleanly() {
        LeakCheck.assertNoLeaks(mem -> {
            try (Spillway sw = Spillway.builder().memoryLimit(16L << 20).threads(2).morselRows(16_384)
                    .tempDir(mem.tempRoot().resolve("f")).build()) {
                // 1.2M rows of two int64 columns (19 MB) cannot be collected under a 16 MiB cap.
                QueryExecutionException e = assertThrows(QueryExecutionException.class,
                        () -> keyed(sw, 1_200_000).sort("k").collect().close());
                assertTrue(e.getCause() instanceof MemoryLimitExceededException, e.toString());
            } finally {
                Files.deleteIfExists(mem.tempRoot().resolve("f"));
            }
        });
    }

    @Test
    void orderSurvivesFilterSelectAndTheCsvSink() {
        LeakCheck.assertNoLeaks(mem -> {
            Path out = mem.dataDir().resolve("sorted.csv");
            try (Spillway sw = Spillway.builder().memoryLimit(16L << 20).threads(2).morselRows(512).forceSpill(1.0)
                    .tempDir(mem.tempRoot().resolve("c")).build()) {
                long written = keyed(sw, 30_000).sortStable(SortKey.desc("k"))
                        .filter(col("v").mod(lit(3L)).ne(lit(0L)))
                        .select(col("k"), col("v"), col("v").times(lit(2L)).alias("w"))
                        .sinkCsv(out);
                List<String> expected = new ArrayList<>();
                expected.add("k,v,w");
                for (long k = 999; k >= 0; k--) {
                    for (long v = 0; v < 30_000; v++) {
                        if (v * 7919 % 1000 == k && v % 3 != 0) {
                            expected.add(k + "," + v + "," + 2 * v);
                        }
                    }
                }
                assertEquals(expected.size() - 1, written);
                assertEquals(expected, Files.readAllLines(out));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(mem.tempRoot().resolve("c"));
            }
        });
    }

    @Test
    void explainLabelsSortAndTopK() {
        LeakCheck.assertNoLeaks(mem -> {
            try (Spillway sw = Spillway.builder().memoryLimit(16L << 20).threads(2).tempDir(mem.tempRoot().resolve("e")).build()) {
                LazyFrame in = keyed(sw, 100);
                String sort = in.sort(SortKey.desc("k").nullsLast(), SortKey.asc("v")).explain();
                assertTrue(sort.contains("STREAMING_SORT by=[k desc nulls last, v asc nulls last]") && sort.contains("[spillable]"),
                        sort);
                String top = in.sort(SortKey.desc("k")).head(10).explain();
                assertTrue(top.contains("STREAMING_TOP_K k=10 by=[k desc nulls first]") && !top.contains("STREAMING_SORT"), top);
                String sliced = in.sort("k").slice(5, 10).explain();
                assertTrue(sliced.contains("STREAMING_TOP_K k=15") && sliced.contains("STREAMING_SLICE offset=5 length=10"), sliced);
                String filtered = in.sort("k").filter(col("v").gt(lit(3L))).head(5).explain();
                assertTrue(filtered.contains("STREAMING_TOP_K k=5") && !filtered.contains("STREAMING_SORT"), filtered);
                String tail = in.sort("k").tail(3).explain();
                assertTrue(tail.contains("STREAMING_TAIL n=3") && tail.contains("STREAMING_SORT"), tail);
                assertEquals(DataType.INT64, in.sort("k").schema().field("k").type());
                try (DataFrame empty = keyed(sw, 0).sort("k").collect(); DataFrame emptyTop = keyed(sw, 0).topK(5, "k").collect();
                     DataFrame few = keyed(sw, 4).topK(10, SortKey.desc("v")).collect()) {
                    assertEquals(0, empty.rowCount());
                    assertEquals(0, emptyTop.rowCount());
                    assertEquals(List.of(List.of(3L, 3L * 7919 % 1000), List.of(2L, 2L * 7919 % 1000), List.of(1L, 7919L % 1000),
                            List.of(0L, 0L)), few.rows());
                }
                List<Long> keys = new ArrayList<>();
                for (long v = 0; v < 100; v++) {
                    keys.add(v * 7919 % 1000);
                }
                keys.sort(java.util.Comparator.reverseOrder());
                try (DataFrame df = in.sort(SortKey.desc("k")).head(3).collect()) {
                    assertEquals(keys.subList(0, 3), List.of(df.getLong(0, "k"), df.getLong(1, "k"), df.getLong(2, "k")));
                }
            } finally {
                Files.deleteIfExists(mem.tempRoot().resolve("e"));
            }
        });
    }
}
