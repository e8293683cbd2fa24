package dev.spillway.bench.operators;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Float64Builder;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.expr.BinaryOp;
import dev.spillway.operators.eval.EvalContext;
import dev.spillway.operators.eval.PhysicalExpr;
import dev.spillway.operators.eval.PhysicalExprs;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Rows per microsecond for {@code (a * 1.2 > 100.0) & (b < 5)} over a 128k-row morsel with no
 * nulls: the vectorised evaluator (native columns in, a native boolean column out) against the same
 * computation over plain Java arrays into a {@code boolean[]}.
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar ExprEval}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class ExprEvalBenchmark {
    private static final int ROWS = Morsel.DEFAULT_ROWS;

    private BlockPool pool;
    private MemoryBudget budget;
    private Morsel morsel;
    private PhysicalExpr expr;
    private EvalContext ctx;
    private double[] a;
    private long[] b;
    private boolean[] out;

    /** Builds the data. */
    @Setup(Level.Trial)
    public void setUp() {
        pool = new BlockPool();
        budget = MemoryBudget.root("bench", 1L << 30);
        ctx = new EvalContext(pool, budget);
        SplittableRandom rnd = new SplittableRandom(1);
        a = new double[ROWS];
        b = new long[ROWS];
        out = new boolean[ROWS];
        try (Float64Builder fa = (Float64Builder) ColumnBuilder.create(DataType.FLOAT64, pool, budget, ROWS);
             Int64Builder fb = (Int64Builder) ColumnBuilder.create(DataType.INT64, pool, budget, ROWS)) {
            for (int i = 0; i < ROWS; i++) {
                a[i] = rnd.nextDouble() * 200;
                b[i] = rnd.nextInt(10);
                fa.append(a[i]);
                fb.append(b[i]);
            }
            List<ColumnVector> cols = List.of(fa.build(), fb.build());
            morsel = new Morsel(Schema.of(Field.of("a", DataType.FLOAT64), Field.of("b", DataType.INT64)), cols, ROWS, 0);
        }
        PhysicalExpr colA = PhysicalExprs.column(0, "a", DataType.FLOAT64);
        PhysicalExpr colB = PhysicalExprs.column(1, "b", DataType.INT64);
        expr = PhysicalExprs.binary(BinaryOp.AND,
                PhysicalExprs.binary(BinaryOp.GT, PhysicalExprs.binary(BinaryOp.TIMES, colA,
                        PhysicalExprs.literal(1.2, DataType.FLOAT64)), PhysicalExprs.literal(100.0, DataType.FLOAT64)),
                PhysicalExprs.binary(BinaryOp.LT, colB, PhysicalExprs.literal(5L, DataType.INT64)));
    }

    /** Frees the data. */
    @TearDown(Level.Trial)
    public void tearDown() {
        morsel.close();
        pool.close();
        budget.close();
    }

    /** Spillway's evaluator. */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public int spillway() {
        try (ColumnVector v = expr.evaluate(morsel, ctx)) {
            return v.length();
        }
    }

    /** Baseline: the same predicate over heap arrays. */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public boolean[] heapArrays() {
        for (int i = 0; i < ROWS; i++) {
            out[i] = a[i] * 1.2 > 100.0 && b[i] < 5;
        }
        return out;
    }
}
