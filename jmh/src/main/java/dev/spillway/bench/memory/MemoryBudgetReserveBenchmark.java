package dev.spillway.bench.memory;

import dev.spillway.memory.MemoryBudget;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Cost of a reserve/release pair on a process → query → operator budget, at 1 and 2 threads,
 * against a baseline of a bare {@link AtomicLong} add pair (no cap, no hierarchy).
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar MemoryBudgetReserve}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class MemoryBudgetReserveBenchmark {
    private MemoryBudget root;
    private MemoryBudget query;
    private MemoryBudget operator;
    private final AtomicLong baseline = new AtomicLong();

    /** Builds the hierarchy. */
    @Setup(Level.Trial)
    public void setUp() {
        root = MemoryBudget.root("process", 1L << 40);
        query = root.child("query", 1L << 39);
        operator = query.child("operator");
    }

    /** Closes the hierarchy (fails if the benchmark leaked). */
    @TearDown(Level.Trial)
    public void tearDown() {
        operator.close();
        query.close();
        root.close();
    }

    /** Reserve and release 4 KiB on the operator budget, one thread. */
    @Benchmark
    @Threads(1)
    public boolean budgetOneThread() {
        boolean ok = operator.tryReserve(4096);
        operator.release(4096);
        return ok;
    }

    /** The same from two threads contending on the same counters. */
    @Benchmark
    @Threads(2)
    public boolean budgetTwoThreads() {
        boolean ok = operator.tryReserve(4096);
        operator.release(4096);
        return ok;
    }

    /** Baseline: an add pair on one AtomicLong, one thread. */
    @Benchmark
    @Threads(1)
    public long atomicLongOneThread() {
        baseline.addAndGet(4096);
        return baseline.addAndGet(-4096);
    }

    /** Baseline: the same from two threads. */
    @Benchmark
    @Threads(2)
    public long atomicLongTwoThreads() {
        baseline.addAndGet(4096);
        return baseline.addAndGet(-4096);
    }
}
