package dev.spillway.bench.spill;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.spill.SpillConfig;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillFile;
import dev.spillway.spill.SpillManager;
import dev.spillway.spill.SpillReader;
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
 * Spill read-back speed: map a file of 16 morsels, verify every checksum and decompress every
 * block into pooled buffers, per operation; compressed and uncompressed (baseline) files, each
 * plain and encrypted (AES-GCM tags checked and chunks decrypted into pooled buffers). The file
 * is in the page cache after the first read, so this measures the CPU side (mmap, CRC32C, LZ4, AES).
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar SpillRead}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class SpillReadBenchmark {
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
    private SpillFile file;
    private Schema schema;

    /** Writes the file once. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        pool = new BlockPool();
        budget = MemoryBudget.root("bench", 4L << 30);
        root = Files.createTempDirectory(Path.of(System.getProperty("spillway.bench.dir",
                System.getProperty("java.io.tmpdir"))), "spill-bench");
        manager = new SpillManager(SpillConfig.defaults().withRoot(root).withCompression(compress)
                .withEncryption(encrypt), pool);
        dir = manager.createQueryDirectory("bench", budget);
        schema = data.schema();
        try (Morsel m = data.build(pool, budget)) {
            SpillWriter w = dir.newWriter("bench");
            for (int i = 0; i < SpillWriteBenchmark.MORSELS; i++) {
                w.append(m, 0);
            }
            file = w.finish();
        }
    }

    /** Prints the sizes and removes everything. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        System.out.printf(Locale.ROOT, "%n[spill-read] data=%s compress=%s encrypt=%s raw-bytes/op=%d file-bytes=%d ratio=%.3f%n",
                data, compress, encrypt, file.rawBytes(), file.byteSize(), (double) file.byteSize() / file.rawBytes());
        dir.close();
        manager.close();
        Files.deleteIfExists(root);
        pool.close();
        budget.close();
    }

    /** Reads every block back. */
    @Benchmark
    public long readFile() {
        long rows = 0;
        try (SpillReader r = dir.open(file, budget)) {
            for (int b = 0; b < r.blockCount(); b++) {
                try (Morsel m = r.read(b, schema)) {
                    rows += m.rowCount();
                }
            }
        }
        return rows;
    }
}
