package dev.spillway.arrow;

import dev.spillway.internal.EngineInternals;

import dev.spillway.DataFrame;
import dev.spillway.LazyFrame;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The owner's {@code close()} and the consumer's releases racing on different threads: whichever
 * comes last frees the frame, exactly once, every round.
 */
class ArrowExportRaceTest {
    private static final int ROUNDS = 200;

    @Test
    void ownerCloseRacesConsumerRelease() {
        ArrowTestSupport.withEngine(32, sw -> {
            LazyFrame source = ArrowTestSupport.sample(sw, 64, 41);
            long base = EngineInternals.budget(sw).reserved();
            try (Arena arena = Arena.ofShared(); ExecutorService consumers = Executors.newFixedThreadPool(2)) {
                MemorySegment first = arena.allocate(CData.ARRAY_SIZE);
                MemorySegment second = arena.allocate(CData.ARRAY_SIZE);
                MemorySegment stream = arena.allocate(CData.STREAM_SIZE);
                for (int round = 0; round < ROUNDS; round++) {
                    DataFrame df = source.sort("l").collect();
                    ArrowExport.exportBatch(df, 0, first);
                    ArrowExport.exportBatch(df, 0, second);
                    ArrowExport.exportStream(df, stream);
                    CyclicBarrier start = new CyclicBarrier(3);
                    CompletableFuture<Void> a = CompletableFuture.runAsync(() -> {
                        await(start);
                        ArrowTestSupport.release(first, CData.ARRAY_RELEASE);
                    }, consumers);
                    CompletableFuture<Void> b = CompletableFuture.runAsync(() -> {
                        await(start);
                        ArrowTestSupport.release(second, CData.ARRAY_RELEASE);
                        ArrowTestSupport.release(stream, CData.STREAM_RELEASE);
                    }, consumers);
                    await(start);
                    df.close();
                    a.join();
                    b.join();
                    assertEquals(base, EngineInternals.budget(sw).reserved(), "round " + round + ": the frame was freed");
                }
            }
        });
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
