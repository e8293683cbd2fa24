package dev.spillway.bench.operators;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.operators.OperatorContext;
import dev.spillway.operators.merge.AsofJoin;
import dev.spillway.options.AsofStrategy;
import dev.spillway.operators.merge.OrderedInput;
import dev.spillway.scheduler.QueryContext;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;
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

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One AsOf join of {@value #RIGHT_ROWS} right rows (quotes: int64 time, int64 symbol, int64
 * price) and {@value #LEFT_ROWS} left rows (trades: int64 time, int64 symbol) by symbol, over
 * {@code groups} symbols, driven directly on one thread. Both inputs are built once as native
 * morsels; each operation joins zero-copy views of them and drains the output. The baseline does
 * the same walk with a plain {@code long[]} of the latest price per symbol (BACKWARD only: each
 * left row takes the last right row at or before it).
 *
 * <p>Scores are milliseconds per join. Run with {@code -prof gc}: {@code gc.alloc.rate.norm}
 * divided by the {@value #LEFT_ROWS} + {@value #RIGHT_ROWS} input rows is the heap allocation per
 * row. {@code java -jar jmh/target/benchmarks.jar AsofJoin -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx4g"})
@State(Scope.Benchmark)
public class AsofJoinBenchmark {
    private static final int RIGHT_ROWS = 2_000_000;
    private static final int LEFT_ROWS = 1_000_000;
    private static final TaskContext CTX = new TaskContext(0, new QueryContext("bench"));

    @Param({"100000", "1000000"})
    private int groups;

    @Param({"BACKWARD", "NEAREST"})
    private AsofStrategy strategy;

    private BlockPool pool;
    private MemoryBudget budget;
    private Schema leftSchema;
    private Schema rightSchema;
    private Schema outSchema;
    private List<Morsel> left;
    private List<Morsel> right;
    // Baseline
    private long[] leftTime;
    private long[] leftSymbol;
    private long[] rightTime;
    private long[] rightSymbol;
    private long[] rightPrice;
    private long[] latest;

    /** Builds both inputs. */
    @Setup(Level.Trial)
    public void setUp() {
        pool = new BlockPool();
        budget = MemoryBudget.root("bench", 16L << 30);
        leftSchema = Schema.of(Field.of("t", DataType.INT64), Field.of("sym", DataType.INT64));
        rightSchema = Schema.of(Field.of("t", DataType.INT64), Field.of("sym", DataType.INT64), Field.of("price", DataType.INT64));
        outSchema = Schema.of(Field.of("t", DataType.INT64), Field.of("sym", DataType.INT64), new Field("price", DataType.INT64, true));
        leftTime = new long[LEFT_ROWS];
        leftSymbol = new long[LEFT_ROWS];
        for (int i = 0; i < LEFT_ROWS; i++) {
            leftTime[i] = 2L * i * (RIGHT_ROWS / LEFT_ROWS) + 1;
            leftSymbol[i] = symbol(i * 31L + 7);
        }
        rightTime = new long[RIGHT_ROWS];
        rightSymbol = new long[RIGHT_ROWS];
        rightPrice = new long[RIGHT_ROWS];
        for (int i = 0; i < RIGHT_ROWS; i++) {
            rightTime[i] = 2L * i;
            rightSymbol[i] = symbol(i);
            rightPrice[i] = 1000 + i % 977;
        }
        left = morsels(leftSchema, new long[][] {leftTime, leftSymbol});
        right = morsels(rightSchema, new long[][] {rightTime, rightSymbol, rightPrice});
        latest = new long[groups];
    }

    /** A symbol for a row number: a scattered walk over the groups. */
    private long symbol(long i) {
        return (i * 0x9E3779B97F4A7C15L >>> 17) % groups;
    }

    private List<Morsel> morsels(Schema schema, long[][] columns) {
        List<Morsel> out = new ArrayList<>();
        int rows = columns[0].length;
        for (int from = 0, seq = 0; from < rows; from += Morsel.DEFAULT_ROWS, seq++) {
            int n = Math.min(Morsel.DEFAULT_ROWS, rows - from);
            List<ColumnVector> cols = new ArrayList<>();
            for (long[] values : columns) {
                Int64Builder b = (Int64Builder) ColumnBuilder.create(DataType.INT64, pool, budget, n);
                for (int i = from; i < from + n; i++) {
                    b.append(values[i]);
                }
                cols.add(b.build());
            }
            out.add(new Morsel(schema, cols, n, seq));
        }
        return out;
    }

    /** Hands out views of pre-built morsels in order. */
    private static final class Views implements Source {
        private final List<Morsel> morsels;
        private int next;

        Views(List<Morsel> morsels) {
            this.morsels = morsels;
        }

        @Override
        public String name() {
            return "views";
        }

        @Override
        public Morsel next(TaskContext ctx) {
            if (next == morsels.size()) {
                return null;
            }
            Morsel m = morsels.get(next++);
            return m.slice(0, m.rowCount());
        }
    }

    /** Spillway's AsOf join; returns the output rows that found a right row. */
    @Benchmark
    public long spillway() {
        AsofJoin join = new AsofJoin(new OrderedInput(new Views(left), List.of()), leftSchema, 0, new int[] {1},
                new OrderedInput(new Views(right), List.of()), rightSchema, 0, new int[] {1}, new int[] {2}, outSchema,
                strategy, null, "bench", "bench", OperatorContext.of(pool, budget, null).child("asof"));
        long matched = 0;
        try (join) {
            while (true) {
                Morsel m = join.next(CTX);
                if (m == null) {
                    if (join.isExhausted()) {
                        break;
                    }
                    continue;
                }
                try (m) {
                    ColumnVector price = m.column(2);
                    matched += m.rowCount() - price.nullCount();
                }
            }
        }
        return matched;
    }

    /** Plain arrays, BACKWARD: the latest price per symbol in a {@code long[]}; returns the rows matched. */
    @Benchmark
    public long heapArrays() {
        java.util.Arrays.fill(latest, -1);
        long matched = 0;
        int r = 0;
        long sum = 0;
        for (int i = 0; i < LEFT_ROWS; i++) {
            long t = leftTime[i];
            while (r < RIGHT_ROWS && rightTime[r] <= t) {
                latest[(int) rightSymbol[r]] = rightPrice[r];
                r++;
            }
            long p = latest[(int) leftSymbol[i]];
            if (p >= 0) {
                matched++;
                sum += p;
            }
        }
        return matched + (sum & 1);
    }

    /** Frees everything. */
    @TearDown(Level.Trial)
    public void tearDown() {
        left.forEach(Morsel::close);
        right.forEach(Morsel::close);
        budget.close();
        pool.close();
    }
}
