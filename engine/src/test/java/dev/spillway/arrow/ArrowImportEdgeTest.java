package dev.spillway.arrow;

import dev.spillway.internal.EngineInternals;

import dev.spillway.DataFrame;
import dev.spillway.LazyFrame;
import dev.spillway.memory.Morsel;
import dev.spillway.errors.QueryExecutionException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The less common paths of the C interface: arrays with a non-zero offset (bitmaps shifted,
 * string offsets rebased, fixed-width buffers wrapped at the offset), a producer's error crossing
 * the boundary as {@code get_last_error}, and releases from another thread.
 */
// The test plays a C producer: its callbacks are upcall stubs.
@SuppressWarnings("restricted")
class ArrowImportEdgeTest {
    private static final int SKIP = 5;
    private static DataFrame producerFrame;
    private static int producerNext;

    @Test
    void batchesWithAnOffsetAreReadFromThatRow() {
        ArrowTestSupport.withEngine(1024, sw -> {
            try (DataFrame df = ArrowTestSupport.sample(sw, 300, 31).collect(); Arena arena = Arena.ofConfined()) {
                assertEquals(1, EngineInternals.morsels(df).size());
                MemorySegment stream = arena.allocate(CData.STREAM_SIZE);
                Linker linker = Linker.nativeLinker();
                var lookup = MethodHandles.lookup();
                stream.set(CData.PTR, CData.STREAM_GET_SCHEMA, linker.upcallStub(lookup.findStatic(ArrowImportEdgeTest.class,
                        "getSchema", CData.GET.toMethodType()), CData.GET, arena).address());
                stream.set(CData.PTR, CData.STREAM_GET_NEXT, linker.upcallStub(lookup.findStatic(ArrowImportEdgeTest.class,
                        "getNext", CData.GET.toMethodType()), CData.GET, arena).address());
                stream.set(CData.PTR, CData.STREAM_RELEASE, linker.upcallStub(lookup.findStatic(ArrowImportEdgeTest.class,
                        "releaseStream", CData.RELEASE.toMethodType()), CData.RELEASE, arena).address());
                producerFrame = df;
                producerNext = 0;
                List<List<Object>> want = df.rows().subList(SKIP, 300);
                try (DataFrame got = sw.fromArrowStream(stream).collect()) {
                    assertEquals(2 * (300 - SKIP), got.rowCount());
                    List<List<Object>> twice = new ArrayList<>(want);
                    twice.addAll(want);
                    assertEquals(twice, got.rows());
                }
            } finally {
                producerFrame = null;
            }
        });
    }

    static int getSchema(MemorySegment stream, MemorySegment out) {
        ArrowExport.exportSchema(producerFrame.schema(), out);
        return 0;
    }

    /** The frame's one batch twice, each time starting {@value #SKIP} rows in (the parent's offset). */
    static int getNext(MemorySegment stream, MemorySegment out) {
        MemorySegment array = out.reinterpret(CData.ARRAY_SIZE);
        if (producerNext++ == 2) {
            array.set(CData.PTR, CData.ARRAY_RELEASE, 0L);
            return 0;
        }
        ArrowExport.exportBatch(producerFrame, 0, array);
        array.set(CData.I64, CData.ARRAY_OFFSET, SKIP);
        array.set(CData.I64, CData.ARRAY_LENGTH, array.get(CData.I64, CData.ARRAY_LENGTH) - SKIP);
        return 0;
    }

    static void releaseStream(MemorySegment stream) {
        stream.reinterpret(CData.STREAM_SIZE).set(CData.PTR, CData.STREAM_RELEASE, 0L);
    }

    @Test
    void producerErrorsCrossTheBoundaryAsMessages() {
        ArrowTestSupport.withEngine(64, sw -> {
            try (DataFrame df = ArrowTestSupport.sample(sw, 100, 32).collect(); Arena arena = Arena.ofConfined()) {
                AtomicInteger closed = new AtomicInteger();
                Iterator<Morsel> failing = new Iterator<>() {
                    private boolean first = true;

                    @Override
                    public boolean hasNext() {
                        return true;
                    }

                    @Override
                    public Morsel next() {
                        if (first) {
                            first = false;
                            return EngineInternals.morsels(df).get(0).slice(0, 10);
                        }
                        throw new IllegalStateException("disk on fire");
                    }
                };
                MemorySegment stream = arena.allocate(CData.STREAM_SIZE);
                ArrowExport.exportStream(BatchSource.of(df.schema(), failing, closed::incrementAndGet), stream);
                LazyFrame f = sw.fromArrowStream(stream);
                QueryExecutionException e = assertThrows(QueryExecutionException.class, f::collect);
                assertTrue(e.getMessage().contains("get_next failed with errno 5")
                        && e.getMessage().contains("disk on fire"), e.getMessage());
                assertEquals(1, closed.get(), "releasing the stream closed the source");
            }
        });
    }

    @Test
    void consumerReleasesOnAnotherThread() {
        ArrowTestSupport.withEngine(16, sw -> {
            LazyFrame source = ArrowTestSupport.sample(sw, 100, 33);
            long base = EngineInternals.budget(sw).reserved();
            try (Arena arena = Arena.ofShared()) {
                List<MemorySegment> arrays = new ArrayList<>();
                try (DataFrame df = source.sort("i").collect()) {
                    for (int b = 0; b < ArrowExport.batchCount(df); b++) {
                        MemorySegment a = arena.allocate(CData.ARRAY_SIZE);
                        ArrowExport.exportBatch(df, b, a);
                        arrays.add(a);
                    }
                }
                List<CompletableFuture<Void>> done = new ArrayList<>();
                for (MemorySegment a : arrays) {
                    done.add(CompletableFuture.runAsync(() -> ArrowTestSupport.release(a, CData.ARRAY_RELEASE)));
                }
                CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).join();
                for (MemorySegment a : arrays) {
                    assertEquals(0, a.get(ValueLayout.JAVA_LONG, CData.ARRAY_RELEASE));
                }
                assertEquals(base, EngineInternals.budget(sw).reserved(), "the last release, on some pool thread, freed the frame");
            }
        });
    }

    @Test
    void aBatchThatDoesNotMatchTheSchemaIsRefused() {
        ArrowTestSupport.withEngine(64, sw -> {
            try (DataFrame df = ArrowTestSupport.sample(sw, 20, 34).collect(); Arena arena = Arena.ofConfined()) {
                Iterator<Morsel> wrongColumns = List.of(EngineInternals.morsels(df).get(0).select(1, 0)).iterator();
                MemorySegment stream = arena.allocate(CData.STREAM_SIZE);
                ArrowExport.exportStream(BatchSource.of(
                        dev.spillway.types.Schema.of(df.schema().field(0), df.schema().field(1)), wrongColumns, null), stream);
                QueryExecutionException e = assertThrows(QueryExecutionException.class, () -> sw.fromArrowStream(stream).collect());
                assertTrue(e.getMessage().contains("does not match the stream's schema"), e.getMessage());
            }
        });
    }
}
