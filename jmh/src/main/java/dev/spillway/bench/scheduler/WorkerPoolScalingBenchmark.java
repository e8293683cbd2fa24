package dev.spillway.bench.scheduler;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
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
 * Speed-up from 1 to 2 workers on a CPU-bound pipeline: {@value #MORSELS} morsels of 128k int64
 * rows, each hashed {@value #ROUNDS} times by an operator, into a counting sink. {@code query}
 * runs it on a pool of {@code workers} threads; {@code directLoop} runs the same chain on the
 * benchmark thread (the baseline: what one core does without the scheduler). The ratio
 * {@code query(workers=1) / query(workers=2)} is the scaling; on the 2-core machine the ideal is 2.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -jar jmh/target/benchmarks.jar WorkerPoolScaling}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class WorkerPoolScalingBenchmark {
    private static final int MORSELS = 64;
    private static final int ROUNDS = 8;

    @Param({"1", "2"})
    private int workers;

    private BlockPool pool;
    private MemoryBudget budget;
    private Morsel template;
    private WorkerPool workerPool;
    private List<Operator> chain;

    /** Builds one 128k-row morsel, the hashing operator and the pool. */
    @Setup(Level.Trial)
    public void setUp() {
        pool = new BlockPool();
        budget = MemoryBudget.root("bench", 1L << 30);
        try (Int64Builder b = (Int64Builder) ColumnBuilder.create(DataType.INT64, pool, budget, Morsel.DEFAULT_ROWS)) {
            for (int i = 0; i < Morsel.DEFAULT_ROWS; i++) {
                b.append(i * 31L);
            }
            template = new Morsel(Schema.of(Field.of("v", DataType.INT64)), List.of(b.build()), Morsel.DEFAULT_ROWS, 0);
        }
        chain = List.of(new Operator() {
            @Override
            public String name() {
                return "hash x" + ROUNDS;
            }

            @Override
            public Morsel process(Morsel input, TaskContext ctx) {
                try (NativeBuffer out = pool.allocate(budget, 8L * input.rowCount())) {
                    for (int r = 0; r < ROUNDS; r++) {
                        Hashing.hashColumn(input.column(0), out.segment(), r > 0);
                    }
                }
                return input;
            }
        });
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

    /** One query on the pool: ms per query; compare the two {@code workers} values. */
    @Benchmark
    public long query() {
        BenchPipelines.CountSink sink = new BenchPipelines.CountSink();
        workerPool.run(new QueryPlan("cpu", List.of(new Pipeline("p",
                new BenchPipelines.RepeatSource(template, MORSELS), chain, sink, 2 * workers))));
        return sink.rows.get();
    }

    /** Baseline: the same chain in a loop on the benchmark thread (independent of {@code workers}). */
    @Benchmark
    public long directLoop() {
        BenchPipelines.CountSink sink = new BenchPipelines.CountSink();
        return BenchPipelines.runInLoop(new BenchPipelines.RepeatSource(template, MORSELS), chain, sink,
                new TaskContext(0, new QueryContext("direct")));
    }
}
