package dev.spillway.bench.scheduler;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.scheduler.Operator;
import dev.spillway.scheduler.Pipeline;
import dev.spillway.scheduler.QueryContext;
import dev.spillway.scheduler.QueryPlan;
import dev.spillway.scheduler.TaskContext;
import dev.spillway.scheduler.WorkerPool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Scheduling overhead per morsel: an empty pipeline (a source of zero-copy one-row views → two
 * pass-through operators → a sink that drops them) run as a query on the worker pool, against
 * the same source, operator chain and sink called in a plain loop on the benchmark thread
 * ({@code directLoop}, the baseline). The difference is what the pool costs per morsel — taking
 * and re-queueing a ticket, stats, the query's set-up amortised over {@value #MORSELS} morsels —
 * to be set against the ~0.1–1 ms a real 128k-row morsel takes to process.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -jar jmh/target/benchmarks.jar WorkerPoolMorsel}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class WorkerPoolMorselBenchmark {
    private static final int MORSELS = 20_000;

    @Param({"1", "2"})
    private int workers;

    private BlockPool pool;
    private MemoryBudget budget;
    private Morsel template;
    private WorkerPool workerPool;
    private List<Operator> chain;

    /** Builds a one-row morsel, the operator chain and the pool. */
    @Setup(Level.Trial)
    public void setUp() {
        pool = new BlockPool();
        budget = MemoryBudget.root("bench", 1L << 30);
        try (Int64Builder b = (Int64Builder) ColumnBuilder.create(DataType.INT64, pool, budget, 1)) {
            b.append(1);
            template = new Morsel(Schema.of(Field.of("v", DataType.INT64)), List.of(b.build()), 1, 0);
        }
        chain = List.of(new BenchPipelines.PassOperator("a"), new BenchPipelines.PassOperator("b"));
        workerPool = new WorkerPool(workers, false);
    }

    /** Frees everything. */
    @TearDown(Level.Trial)
    public void tearDown() {
        workerPool.close();
        template.close();
        pool.close();
        budget.close();
    }

    /** The pipeline as a query on the pool: ns per morsel. */
    @Benchmark
    @OperationsPerInvocation(MORSELS)
    public long pool() {
        BenchPipelines.CountSink sink = new BenchPipelines.CountSink();
        workerPool.run(new QueryPlan("empty", List.of(new Pipeline("p",
                new BenchPipelines.RepeatSource(template, MORSELS), chain, sink, 2 * workers))));
        return sink.rows.get();
    }

    /** Baseline: the same source, operators and sink in a loop on one thread. */
    @Benchmark
    @OperationsPerInvocation(MORSELS)
    public long directLoop() {
        BenchPipelines.CountSink sink = new BenchPipelines.CountSink();
        return BenchPipelines.runInLoop(new BenchPipelines.RepeatSource(template, MORSELS), chain, sink,
                new TaskContext(0, new QueryContext("direct")));
    }
}
