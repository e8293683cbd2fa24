package dev.spillway.bench.operators;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.Utf8Builder;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Rows per microsecond for SQL {@code LIKE} over a 128k-row morsel of TPC-H-like comments (20 to
 * 80 characters of words): Spillway's compiled pattern matched on the UTF-8 bytes (a fast path for
 * {@code abc%}, {@code %abc}, {@code %abc%}; segments otherwise) against the baseline of heap
 * {@code String}s and a precompiled {@link java.util.regex.Pattern}.
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar Like}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class LikeBenchmark {
    private static final int ROWS = Morsel.DEFAULT_ROWS;
    private static final String[] WORDS = {"furiously", "special", "requests", "carefully", "final", "deposits", "sleep",
        "blithely", "ironic", "packages", "pending", "accounts", "quickly", "bold", "foxes", "regular", "theodolites"};

    /** The pattern: prefix, suffix, contains, and two general ones. */
    @Param({"furiously%", "%packages", "%ironic%", "%special%requests%", "%e_r%"})
    public String pattern;

    private BlockPool pool;
    private MemoryBudget budget;
    private Morsel morsel;
    private PhysicalExpr expr;
    private EvalContext ctx;
    private String[] strings;
    private Pattern regex;
    private boolean[] out;

    /** Builds the data and compiles the pattern both ways. */
    @Setup(Level.Trial)
    public void setUp() {
        pool = new BlockPool();
        budget = MemoryBudget.root("bench", 1L << 30);
        ctx = new EvalContext(pool, budget);
        SplittableRandom rnd = new SplittableRandom(1);
        strings = new String[ROWS];
        out = new boolean[ROWS];
        try (Utf8Builder b = (Utf8Builder) ColumnBuilder.create(DataType.UTF8, pool, budget, ROWS)) {
            for (int i = 0; i < ROWS; i++) {
                StringBuilder sb = new StringBuilder();
                int target = 20 + rnd.nextInt(60);
                while (sb.length() < target) {
                    sb.append(sb.isEmpty() ? "" : " ").append(WORDS[rnd.nextInt(WORDS.length)]);
                }
                strings[i] = sb.toString();
                b.append(strings[i]);
            }
            morsel = new Morsel(Schema.of(Field.of("c", DataType.UTF8)), List.<ColumnVector>of(b.build()), ROWS, 0);
        }
        expr = PhysicalExprs.like(PhysicalExprs.column(0, "c", DataType.UTF8), pattern, false);
        StringBuilder re = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            re.append(c == '%' ? ".*" : c == '_' ? "." : Pattern.quote(String.valueOf(c)));
        }
        regex = Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    /** Frees the data. */
    @TearDown(Level.Trial)
    public void tearDown() {
        morsel.close();
        pool.close();
        budget.close();
    }

    /** Spillway's LIKE. */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public int spillway() {
        try (ColumnVector v = expr.evaluate(morsel, ctx)) {
            return v.length();
        }
    }

    /** Baseline: heap strings and a precompiled regular expression. */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public boolean[] heapRegex() {
        for (int i = 0; i < ROWS; i++) {
            out[i] = regex.matcher(strings[i]).matches();
        }
        return out;
    }
}
