package dev.spillway.arrow;

import dev.spillway.internal.EngineInternals;

import dev.spillway.errors.ArrowInterfaceException;

import dev.spillway.DataFrame;
import dev.spillway.LazyFrame;
import dev.spillway.types.Field;
import dev.spillway.memory.Morsel;
import dev.spillway.errors.PlanException;
import dev.spillway.scheduler.Source;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Spillway's export read back by Spillway's import, through the C structs only (no Arrow Java):
 * every type with nulls, many batches whose bitmaps start inside a byte, empty results, the
 * owner closing the frame before the consumer releases, and the single-pass rule.
 */
class ArrowStreamRoundTripTest {
    @Test
    void everyTypeWithNullsAcrossManyBatches() {
        ArrowTestSupport.withEngine(7, sw -> {
            try (DataFrame df = ArrowTestSupport.sample(sw, 100, 1).collect(); Arena arena = Arena.ofConfined()) {
                assertTrue(ArrowExport.batchCount(df) > 10, "7-row morsels give many batches: " + ArrowExport.batchCount(df));
                MemorySegment stream = arena.allocate(CData.STREAM_SIZE);
                ArrowExport.exportStream(df, stream);
                LazyFrame back = sw.fromArrowStream(stream);
                assertEquals(0, stream.get(CData.PTR, CData.STREAM_RELEASE), "the caller's struct is moved");
                for (int c = 0; c < df.schema().size(); c++) {
                    Field f = df.schema().field(c);
                    assertTrue(f.sameType(back.schema().field(c)), f + " vs " + back.schema().field(c));
                    assertEquals(f.name(), back.schema().field(c).name());
                }
                try (DataFrame got = back.collect()) {
                    assertEquals(100, got.rowCount());
                    assertEquals(df.rows(), got.rows());
                }
            }
        });
    }

    @Test
    void bigBatchesAreSlicedIntoDenselyNumberedMorsels() {
        ArrowTestSupport.withEngine(64, sw -> {
            try (DataFrame df = ArrowTestSupport.sample(sw, 100, 8).collect(); Arena arena = Arena.ofConfined()) {
                assertEquals(List.of(64, 36), EngineInternals.morsels(df).stream().map(Morsel::rowCount).toList());
                MemorySegment stream = arena.allocate(CData.STREAM_SIZE);
                ArrowExport.exportStream(df, stream);
                List<Integer> rows = new ArrayList<>();
                List<Long> sequences = new ArrayList<>();
                List<List<Object>> values = new ArrayList<>();
                try (ArrowStreamScan scan = ArrowStreamScan.take(stream);
                        Source source = scan.open(null, EngineInternals.budget(sw), 30)) {
                    for (Morsel next = source.next(null); next != null; next = source.next(null)) {
                        try (Morsel m = next) {
                            rows.add(m.rowCount());
                            sequences.add(m.sequence());
                            for (int r = 0; r < m.rowCount(); r++) {
                                List<Object> row = new ArrayList<>();
                                for (int c = 0; c < m.columnCount(); c++) {
                                    row.add(m.column(c).getObject(r));
                                }
                                values.add(row);
                            }
                        }
                    }
                }
                assertEquals(List.of(30, 30, 4, 30, 6), rows);
                assertEquals(List.of(0L, 1L, 2L, 3L, 4L), sequences);
                assertEquals(df.rows(), values);
            }
        });
    }

    @Test
    void queriesOverAnImportedStream() {
        ArrowTestSupport.withEngine(16, sw -> {
            try (DataFrame df = ArrowTestSupport.sample(sw, 200, 2).collect(); Arena arena = Arena.ofConfined()) {
                MemorySegment stream = arena.allocate(CData.STREAM_SIZE);
                ArrowExport.exportStream(df, stream);
                LazyFrame q = sw.fromArrowStream(stream).filter(col("i").isNotNull()).select(col("i"), col("s"));
                try (DataFrame got = q.collect();
                        DataFrame want = sw.fromDataFrame(df).filter(col("i").isNotNull()).select(col("i"), col("s")).collect()) {
                    assertEquals(want.rows(), got.rows());
                }
            }
        });
    }

    @Test
    void importedBatchesSpillAndComeBack() {
        ArrowTestSupport.withEngine(256, b -> b.forceSpill(1.0), sw -> {
            try (DataFrame df = ArrowTestSupport.sample(sw, 3000, 9).collect(); Arena arena = Arena.ofConfined()) {
                MemorySegment stream = arena.allocate(CData.STREAM_SIZE);
                ArrowExport.exportStream(df, stream);
                // Rows tied on the keys (both null) may come back in any order, so compare as multisets.
                try (DataFrame got = sw.fromArrowStream(stream).sort("l", "i").collect()) {
                    assertEquals(3000, got.rowCount());
                    assertTrue(sw.lastProfile().spilledRawBytes() > 0, "the sort spilled the imported rows");
                    assertTrue(got.contentEqualsIgnoringOrder(df), "the sorted import holds the exported rows");
                    for (long r = 1; r < got.rowCount() && got.get(r, "l") != null; r++) {
                        assertTrue((Long) got.get(r - 1, "l") <= (Long) got.get(r, "l"), "sorted at row " + r);
                    }
                }
            }
        });
    }

    @Test
    void aStreamingQueryResultIsExportedAsItRunsAndReleasingEarlyCancelsIt() {
        ArrowTestSupport.withEngine(16, b -> b.threads(2), sw -> {
            LazyFrame q = ArrowTestSupport.sample(sw, 20_000, 11).sort("l", "i");
            try (DataFrame expected = q.collect(); Arena arena = Arena.ofConfined()) {
                // Another engine's query consumes the stream while this one produces it (one worker
                // there, so that its collected rows keep the stream's order).
                ArrowTestSupport.withEngine(16, b -> b.threads(1), consumer -> {
                    MemorySegment stream = arena.allocate(CData.STREAM_SIZE);
                    ArrowExport.exportStream(q.stream(), stream);
                    try (DataFrame got = consumer.fromArrowStream(stream).collect()) {
                        // Rows tied on both keys (nulls) may come in either order from two runs of the sort.
                        assertTrue(got.contentEqualsIgnoringOrder(expected), "the exported stream holds the result");
                        for (long r = 1; r < got.rowCount() && got.get(r, "l") != null; r++) {
                            assertTrue((Long) got.get(r - 1, "l") <= (Long) got.get(r, "l"), "in the sort's order at row " + r);
                        }
                    }
                });
                // A consumer that releases the stream after one batch cancels the rest of the query.
                MemorySegment early = arena.allocate(CData.STREAM_SIZE);
                MemorySegment array = arena.allocate(CData.ARRAY_SIZE);
                ArrowExport.exportStream(q.stream(), early);
                assertEquals(0, CData.callGet(early.get(CData.PTR, CData.STREAM_GET_NEXT), early, array));
                assertTrue(array.get(CData.PTR, CData.ARRAY_RELEASE) != 0, "a first batch was handed out");
                CData.callRelease(array.get(CData.PTR, CData.ARRAY_RELEASE), array);
                CData.callRelease(early.get(CData.PTR, CData.STREAM_RELEASE), early);
                // The same engine's workers reading its own live stream would wait for themselves: refused.
                MemorySegment self = arena.allocate(CData.STREAM_SIZE);
                ArrowExport.exportStream(q.stream(), self);
                RuntimeException e = assertThrows(RuntimeException.class, () -> sw.fromArrowStream(self).collect().close());
                assertTrue(String.valueOf(e.getMessage()).contains("would wait for itself")
                        || String.valueOf(e.getCause()).contains("would wait for itself"), e.toString());
            }
        });
    }

    @Test
    void emptyResultIsAStreamWithSchemaAndNoBatches() {
        ArrowTestSupport.withEngine(16, sw -> {
            try (DataFrame df = ArrowTestSupport.sample(sw, 20, 3).filter(lit(false)).collect(); Arena arena = Arena.ofConfined()) {
                assertEquals(0, ArrowExport.batchCount(df));
                MemorySegment stream = arena.allocate(CData.STREAM_SIZE);
                ArrowExport.exportStream(df, stream);
                try (DataFrame got = sw.fromArrowStream(stream).collect()) {
                    assertEquals(0, got.rowCount());
                    assertEquals(df.schema().names(), got.schema().names());
                }
            }
        });
    }

    @Test
    void ownerClosesBeforeTheConsumerReleases() {
        ArrowTestSupport.withEngine(16, sw -> {
            LazyFrame source = ArrowTestSupport.sample(sw, 50, 4);
            long base = EngineInternals.budget(sw).reserved();
            // A sort writes new buffers, so the frame owns memory of its own (a plain collect may share the source's).
            DataFrame df = source.sort("l").collect();
            List<List<Object>> want = df.rows();
            long firstBatchRows = EngineInternals.morsels(df).get(0).rowCount();
            long held = EngineInternals.budget(sw).reserved();
            assertTrue(held > base, held + " > " + base);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment stream = arena.allocate(CData.STREAM_SIZE);
                MemorySegment array = arena.allocate(CData.ARRAY_SIZE);
                MemorySegment schema = arena.allocate(CData.SCHEMA_SIZE);
                ArrowExport.exportStream(df, stream);
                ArrowExport.exportBatch(df, 0, array);
                ArrowExport.exportSchema(df.schema(), schema);
                df.close();
                assertEquals(held, EngineInternals.budget(sw).reserved(), "exports keep the closed frame's memory");
                try (DataFrame got = sw.fromArrowStream(stream).collect()) {
                    assertEquals(want, got.rows());
                }
                assertEquals(held, EngineInternals.budget(sw).reserved(), "the single exported array still holds the frame");
                assertEquals(firstBatchRows, array.get(CData.I64, CData.ARRAY_LENGTH));
                assertEquals(9L, array.get(CData.I64, CData.ARRAY_N_CHILDREN));
                ArrowTestSupport.release(schema, CData.SCHEMA_RELEASE);
                assertEquals(0, schema.get(CData.PTR, CData.SCHEMA_RELEASE), "released schema marked");
                ArrowTestSupport.release(array, CData.ARRAY_RELEASE);
                assertEquals(0, array.get(CData.PTR, CData.ARRAY_RELEASE), "released array marked");
                assertEquals(base, EngineInternals.budget(sw).reserved(), "the last release gave the frame's memory back");
            } finally {
                df.close();
            }
        });
    }

    @Test
    void movedChildIsReleasedAfterItsParent() {
        ArrowTestSupport.withEngine(16, sw -> {
            LazyFrame source = ArrowTestSupport.sample(sw, 10, 5);
            long base = EngineInternals.budget(sw).reserved();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment array = arena.allocate(CData.ARRAY_SIZE);
                MemorySegment moved = arena.allocate(CData.ARRAY_SIZE);
                try (DataFrame df = source.sort("l").collect()) {
                    ArrowExport.exportBatch(df, 0, array);
                }
                assertTrue(EngineInternals.budget(sw).reserved() > base);
                MemorySegment child = ArrowTestSupport.childArray(array, 0);
                MemorySegment.copy(child, 0, moved, 0, CData.ARRAY_SIZE);
                child.set(CData.PTR, CData.ARRAY_RELEASE, 0L);
                ArrowTestSupport.release(array, CData.ARRAY_RELEASE);
                assertTrue(EngineInternals.budget(sw).reserved() > base, "the moved child still holds the frame");
                assertEquals(10L, moved.get(CData.I64, CData.ARRAY_LENGTH));
                ArrowTestSupport.release(moved, CData.ARRAY_RELEASE);
                assertEquals(base, EngineInternals.budget(sw).reserved());
            }
        });
    }

    @Test
    void aStreamIsReadOnce() {
        ArrowTestSupport.withEngine(16, sw -> {
            try (DataFrame df = ArrowTestSupport.sample(sw, 40, 6).collect(); Arena arena = Arena.ofConfined()) {
                MemorySegment stream = arena.allocate(CData.STREAM_SIZE);
                ArrowExport.exportStream(df, stream);
                LazyFrame f = sw.fromArrowStream(stream);
                try (DataFrame first = f.collect()) {
                    assertEquals(40, first.rowCount());
                }
                PlanException e = assertThrows(PlanException.class, f::collect);
                assertTrue(e.getMessage().contains("read only once"), e.getMessage());
                ArrowInterfaceException again = assertThrows(ArrowInterfaceException.class, () -> sw.fromArrowStream(stream));
                assertTrue(again.getMessage().contains("already released"), again.getMessage());
            }
        });
    }

    @Test
    void cacheLetsOneQueryReadTheStreamInTwoBranches() {
        ArrowTestSupport.withEngine(16, sw -> {
            try (DataFrame df = ArrowTestSupport.sample(sw, 60, 10).collect(); Arena arena = Arena.ofConfined()) {
                MemorySegment stream = arena.allocate(CData.STREAM_SIZE);
                ArrowExport.exportStream(df, stream);
                LazyFrame once = sw.fromArrowStream(stream).cache();
                try (DataFrame both = once.concat(once).collect();
                        DataFrame want = sw.fromDataFrame(df).concat(sw.fromDataFrame(df)).collect()) {
                    assertEquals(120, both.rowCount());
                    assertTrue(both.contentEqualsIgnoringOrder(want));
                }
            }
        });
    }

    @Test
    void anUnreadStreamIsReleasedWhenTheEngineCloses() {
        ArrowTestSupport.withEngine(16, sw -> {
            try (DataFrame df = ArrowTestSupport.sample(sw, 40, 7).collect(); Arena arena = Arena.ofConfined()) {
                MemorySegment stream = arena.allocate(CData.STREAM_SIZE);
                ArrowExport.exportStream(df, stream);
                LazyFrame f = sw.fromArrowStream(stream);
                assertEquals(9, f.schema().size());
                assertTrue(ArrowExport.unreleased() > 0);
            }
        });
    }
}
