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
import dev.spillway.expr.BinaryOp;
import dev.spillway.operators.eval.PhysicalExpr;
import dev.spillway.operators.eval.PhysicalExprs;
import dev.spillway.options.JoinType;
import dev.spillway.operators.join.NestedLoopJoin;
import dev.spillway.operators.join.PairLayout;
import dev.spillway.spill.SpillConfig;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillManager;
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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The block nested-loop join of a range predicate {@code x < y and y < x + 10}, one thread: one
 * probe morsel of {@value #PROBE_ROWS} rows against a build side of {@code buildRows} int64 rows
 * (one block, resident or spilled and read back), so {@code PROBE_ROWS * buildRows} pairs per
 * operation, about 9 matches per probe row, result columns (x, y) materialised. The baseline runs
 * the same double loop over plain {@code long[]} arrays into growing output arrays.
 *
 * <p>Scores are milliseconds per operation (divide the pairs by it for a pair rate). Run:
 * {@code java -jar jmh/target/benchmarks.jar NestedLoopJoin}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
@State(Scope.Benchmark)
public class NestedLoopJoinBenchmark {
    private static final int PROBE_ROWS = 256;

    @Param({"131072"})
    private int buildRows;

    @Param({"false", "true"})
    private boolean spilled;

    private BlockPool pool;
    private MemoryBudget budget;
    private Path root;
    private SpillManager manager;
    private SpillDirectory dir;
    private NestedLoopJoin join;
    private Schema probeSchema;
    private long[] probeX;
    private long[] buildY;

    /** Materializes the build side once. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        pool = new BlockPool();
        budget = MemoryBudget.root("bench", 4L << 30);
        root = Files.createTempDirectory("nlj-bench");
        manager = new SpillManager(SpillConfig.defaults().withRoot(root), pool);
        dir = manager.createQueryDirectory("bench", budget);
        probeSchema = Schema.of(Field.of("x", DataType.INT64));
        Schema buildSchema = Schema.of(Field.of("y", DataType.INT64));
        Schema pairs = Schema.of(Field.of("x", DataType.INT64), Field.of("y", DataType.INT64));
        PairLayout layout = new PairLayout(pairs, new boolean[] {false, true}, new int[] {0, 0});
        PhysicalExpr x = PhysicalExprs.column(0, "x", DataType.INT64);
        PhysicalExpr y = PhysicalExprs.column(1, "y", DataType.INT64);
        PhysicalExpr predicate = PhysicalExprs.binary(BinaryOp.AND, PhysicalExprs.binary(BinaryOp.LT, x, y),
                PhysicalExprs.binary(BinaryOp.LT, y, PhysicalExprs.binary(BinaryOp.PLUS, x,
                        PhysicalExprs.literal(10L, DataType.INT64))));
        join = new NestedLoopJoin(buildSchema, JoinType.INNER, predicate, layout, layout,
                OperatorContext.of(pool, budget, dir).child("nlj").withOutputRows(Morsel.DEFAULT_ROWS));
        buildY = new long[buildRows];
        Int64Builder b = (Int64Builder) ColumnBuilder.create(DataType.INT64, pool, budget, buildRows);
        for (int i = 0; i < buildRows; i++) {
            buildY[i] = i;
            b.append(i);
        }
        try (NestedLoopJoin.BuildBuffer buf = join.newBuildBuffer()) {
            buf.add(new Morsel(buildSchema, List.of(b.build()), buildRows, 0));
            buf.flush();
        }
        join.forceSpill(spilled ? 1.0 : 0);
        join.finishBuild();
        probeX = new long[PROBE_ROWS];
        for (int i = 0; i < PROBE_ROWS; i++) {
            probeX[i] = (i * 7919L) % buildRows;
        }
    }

    /** One probe morsel through the operator; returns the result rows. */
    @Benchmark
    public long spillway() {
        Int64Builder b = (Int64Builder) ColumnBuilder.create(DataType.INT64, pool, budget, PROBE_ROWS);
        for (long v : probeX) {
            b.append(v);
        }
        List<ColumnVector> cols = List.of(b.build());
        long rows = 0;
        try (NestedLoopJoin.Cursor c = join.startProbe(new Morsel(probeSchema, cols, PROBE_ROWS, 0))) {
            while (!c.done()) {
                try (Morsel m = c.next(0)) {
                    rows += m.rowCount();
                }
            }
        }
        return rows;
    }

    /** The same double loop over plain arrays. */
    @Benchmark
    public long baseline() {
        long[] outX = new long[1024];
        long[] outY = new long[1024];
        int n = 0;
        for (long xv : probeX) {
            for (long yv : buildY) {
                if (xv < yv && yv < xv + 10) {
                    if (n == outX.length) {
                        outX = java.util.Arrays.copyOf(outX, 2 * n);
                        outY = java.util.Arrays.copyOf(outY, 2 * n);
                    }
                    outX[n] = xv;
                    outY[n] = yv;
                    n++;
                }
            }
        }
        return n + outX[0] + outY[0];
    }

    /** Frees everything. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        join.close();
        dir.close();
        manager.close();
        budget.close();
        pool.close();
        Files.deleteIfExists(root);
    }
}
