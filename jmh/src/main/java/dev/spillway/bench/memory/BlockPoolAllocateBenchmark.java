package dev.spillway.bench.memory;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.NativeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * Allocating and freeing one buffer from the {@link BlockPool} (budget reservation included),
 * against the two ways of getting the same memory without a pool: a confined {@link Arena} per
 * buffer and a shared {@link Arena} per buffer (what a buffer handed between worker threads would
 * need; its close is a handshake with every thread). Each variant writes one byte so the memory is
 * really obtained; note that {@link Arena#allocate} also zero-fills, the pool does not.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class BlockPoolAllocateBenchmark {
    @Param({"4096", "65536", "1048576"})
    public long size;

    BlockPool pool;
    MemoryBudget budget;

    @Setup(Level.Trial)
    public void setUp() {
        pool = new BlockPool();
        budget = MemoryBudget.root("bench", 1L << 30);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        budget.close();
    }

    @Benchmark
    public byte pool() {
        try (NativeBuffer b = pool.allocate(budget, size)) {
            MemorySegment s = b.segment();
            s.set(ValueLayout.JAVA_BYTE, size - 1, (byte) 1);
            return s.get(ValueLayout.JAVA_BYTE, 0);
        }
    }

    @Benchmark
    public byte confinedArenaBaseline() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(size, BlockPool.ALIGNMENT);
            s.set(ValueLayout.JAVA_BYTE, size - 1, (byte) 1);
            return s.get(ValueLayout.JAVA_BYTE, 0);
        }
    }

    @Benchmark
    public byte sharedArenaBaseline() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment s = arena.allocate(size, BlockPool.ALIGNMENT);
            s.set(ValueLayout.JAVA_BYTE, size - 1, (byte) 1);
            return s.get(ValueLayout.JAVA_BYTE, 0);
        }
    }
}
