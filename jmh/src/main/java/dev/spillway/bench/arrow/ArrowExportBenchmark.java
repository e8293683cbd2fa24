package dev.spillway.bench.arrow;

import dev.spillway.internal.EngineInternals;

import dev.spillway.DataFrame;
import dev.spillway.Spillway;
import dev.spillway.arrow.ArrowExport;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Morsel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;

import static dev.spillway.Expr.col;

/**
 * Handing a collected result of {@code rows} rows (int64, float64 and utf8 columns) to a C
 * consumer through an {@code ArrowArrayStream}: {@code ZERO_COPY} exports the stream and plays the
 * consumer (get_schema, get_next until the end, releasing each schema and array, then the
 * stream) through the C function pointers; {@code COPY} is the baseline a copying export cannot
 * beat, one {@code MemorySegment.copy} of every buffer into a preallocated destination.
 *
 * <p>The zero-copy cost should grow with the batches times the columns (a morsel per
 * 131,072 rows), not with the bytes: from 1k to 1M rows it should stay within a small factor
 * while the copy grows a thousandfold.
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar ArrowExport}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
@State(Scope.Benchmark)
// The benchmark is the C consumer: it calls the stream's function pointers (downcalls) and reads
// the structs at the addresses they return (reinterpret).
@SuppressWarnings("restricted")
public class ArrowExportBenchmark {
    private static final long STREAM_SIZE = 40;
    private static final long SCHEMA_SIZE = 72;
    private static final long ARRAY_SIZE = 80;
    private static final long SCHEMA_RELEASE = 56;
    private static final long ARRAY_RELEASE = 64;
    private static final MethodHandle RELEASE = Linker.nativeLinker().downcallHandle(
            FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    private static final MethodHandle GET = Linker.nativeLinker().downcallHandle(
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));

    /** How the result is handed over. */
    public enum Mode {
        /** The Arrow C stream over the frame's own buffers. */
        ZERO_COPY,
        /** Baseline: every buffer copied once. */
        COPY
    }

    @Param({"1000", "1000000", "10000000"})
    public int rows;

    @Param({"ZERO_COPY", "COPY"})
    public Mode mode;

    private Spillway sw;
    private DataFrame df;
    private Arena arena;
    private MemorySegment stream;
    private MemorySegment schema;
    private MemorySegment array;
    private MemorySegment copyTarget;

    @Setup
    public void setUp() {
        sw = Spillway.builder().memoryLimit(3L << 30).threads(2).build();
        df = sw.range("k", 0, rows).select(col("k"), col("k").cast(DataType.FLOAT64).alias("x"),
                col("k").cast(DataType.UTF8).alias("s")).collect();
        arena = Arena.ofConfined();
        stream = arena.allocate(STREAM_SIZE);
        schema = arena.allocate(SCHEMA_SIZE);
        array = arena.allocate(ARRAY_SIZE);
        long biggest = 0;
        for (Morsel m : EngineInternals.morsels(df)) {
            for (int c = 0; c < m.columnCount(); c++) {
                ColumnVector v = m.column(c);
                for (int b = 0; b < v.bufferCount(); b++) {
                    biggest = Math.max(biggest, v.bufferByteSize(b));
                }
            }
        }
        copyTarget = mode == Mode.COPY ? arena.allocate(Math.max(1, biggest), 64) : null;
    }

    @TearDown
    public void tearDown() {
        df.close();
        arena.close();
        sw.close();
    }

    /** Returns the rows the consumer saw, so that the work is not dead code. */
    @Benchmark
    public long handOver() throws Throwable {
        return mode == Mode.ZERO_COPY ? consumeStream() : copyBuffers();
    }

    private long consumeStream() throws Throwable {
        ArrowExport.exportStream(df, stream);
        long seen = 0;
        MemorySegment getSchema = MemorySegment.ofAddress(stream.get(ValueLayout.JAVA_LONG, 0));
        MemorySegment getNext = MemorySegment.ofAddress(stream.get(ValueLayout.JAVA_LONG, 8));
        check((int) GET.invokeExact(getSchema, stream, schema));
        release(schema, SCHEMA_RELEASE);
        while (true) {
            check((int) GET.invokeExact(getNext, stream, array));
            if (array.get(ValueLayout.JAVA_LONG, ARRAY_RELEASE) == 0) {
                break;
            }
            seen += array.get(ValueLayout.JAVA_LONG, 0);
            release(array, ARRAY_RELEASE);
        }
        release(stream, 24);
        return seen;
    }

    private long copyBuffers() {
        long seen = 0;
        for (Morsel m : EngineInternals.morsels(df)) {
            for (int c = 0; c < m.columnCount(); c++) {
                ColumnVector v = m.column(c);
                for (int b = 0; b < v.bufferCount(); b++) {
                    v.copyBuffer(b, copyTarget);
                }
            }
            seen += m.rowCount();
        }
        return seen;
    }

    private static void release(MemorySegment struct, long releaseOffset) throws Throwable {
        RELEASE.invokeExact(MemorySegment.ofAddress(struct.get(ValueLayout.JAVA_LONG, releaseOffset)), struct);
    }

    private static void check(int errno) {
        if (errno != 0) {
            throw new IllegalStateException("stream callback returned errno " + errno);
        }
    }
}
