package dev.spillway.bench.spill;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.spill.SpillConfig;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillFile;
import dev.spillway.spill.SpillManager;
import dev.spillway.spill.SpillWriter;
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
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Spill write speed: 16 morsels of 128k rows appended to a new file, sealed and deleted, per
 * operation; with LZ4 ({@code compress=true}) and as the uncompressed baseline, each plain and
 * AES-GCM-encrypted ({@code encrypt=true}, after compression). MB/s of raw column
 * data = raw bytes per op (printed at tear-down with the compression ratio) / time per op.
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar SpillWrite}; the spill root is
 * {@code java.io.tmpdir} unless {@code -Dspillway.bench.dir=...} is given.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class SpillWriteBenchmark {
    static final int MORSELS = 16;

    @Param({"SEQUENTIAL_INT64", "RANDOM_FLOAT64", "STRING64"})
    private SpillData data;

    @Param({"true", "false"})
    private boolean compress;

    /** AES-256-GCM on every chunk (after compression), as {@code Spillway.Builder.spillEncryption}. */
    @Param({"false", "true"})
    private boolean encrypt;

    private BlockPool pool;
    private MemoryBudget budget;
    private Path root;
    private SpillManager manager;
    private SpillDirectory dir;
    private Morsel morsel;
    private long lastRaw;
    private long lastStored;

    /** Creates the data and a private spill root. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        pool = new BlockPool();
        budget = MemoryBudget.root("bench", 4L << 30);
        root = Files.createTempDirectory(Path.of(System.getProperty("spillway.bench.dir",
                System.getProperty("java.io.tmpdir"))), "spill-bench");
        manager = new SpillManager(SpillConfig.defaults().withRoot(root).withCompression(compress)
                .withEncryption(encrypt), pool);
        dir = manager.createQueryDirectory("bench", budget);
        morsel = data.build(pool, budget);
    }

    /** Prints the sizes and removes everything. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        System.out.printf(Locale.ROOT, "%n[spill-write] data=%s compress=%s encrypt=%s raw-bytes/op=%d stored-bytes/op=%d ratio=%.3f%n",
                data, compress, encrypt, lastRaw, lastStored, lastRaw == 0 ? 0 : (double) lastStored / lastRaw);
        morsel.close();
        dir.close();
        manager.close();
        Files.deleteIfExists(root);
        pool.close();
        budget.close();
    }

    /** Writes one file of {@value #MORSELS} morsels. */
    @Benchmark
    public long writeFile() {
        SpillWriter w = dir.newWriter("bench");
        for (int i = 0; i < MORSELS; i++) {
            w.append(morsel, 0);
        }
        SpillFile f = w.finish();
        lastRaw = f.rawBytes();
        lastStored = f.byteSize();
        dir.delete(f);
        return lastStored;
    }
}
