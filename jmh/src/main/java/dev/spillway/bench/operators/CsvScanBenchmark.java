package dev.spillway.bench.operators;

import dev.spillway.DataFrame;
import dev.spillway.LazyFrame;
import dev.spillway.Spillway;
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
import org.openjdk.jmh.annotations.Warmup;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static dev.spillway.Expr.col;

/**
 * CSV parsing: a {@value #ROWS}-row file (int64, float64, a 16-character string, an int64; about
 * 60 MB, in the page cache) scanned and reduced to one sum per column, on one worker thread;
 * against a baseline that reads lines with a BufferedReader, splits them and parses with
 * Long.parseLong / Double.parseDouble. MB/s = the file size printed at set-up / time per op.
 *
 * <p>Scores are milliseconds per scan. Run: {@code java -jar jmh/target/benchmarks.jar CsvScan}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
@State(Scope.Benchmark)
public class CsvScanBenchmark {
    static final int ROWS = 1_000_000;

    private Path temp;
    private Path file;
    private Spillway sw;
    private LazyFrame query;

    /** Writes the file. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        temp = Files.createTempDirectory("csv-bench");
        file = temp.resolve("data.csv");
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("id,amount,name,qty\n");
            for (int i = 0; i < ROWS; i++) {
                w.write(i + "," + (i % 100_000) * 0.37 + ",name-" + String.format(Locale.ROOT, "%011d", i) + "," + (i % 97)
                        + "\n");
            }
        }
        System.out.printf(Locale.ROOT, "%n[csv-scan] file bytes=%d%n", Files.size(file));
        sw = Spillway.builder().threads(1).memoryLimit(2L << 30).tempDir(temp.resolve("spill")).build();
        query = sw.scanCsv(file).select(col("id").sum(), col("amount").sum(), col("name").count(), col("qty").sum());
    }

    /** Spillway: scan, parse every column, aggregate. */
    @Benchmark
    public long spillway() {
        try (DataFrame df = query.collect()) {
            return df.rowCount();
        }
    }

    /** BufferedReader, String.split and the JDK's number parsers. */
    @Benchmark
    public double heapLines() throws IOException {
        long ids = 0;
        double amounts = 0;
        long names = 0;
        long qty = 0;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            r.readLine();
            String line;
            while ((line = r.readLine()) != null) {
                String[] f = line.split(",", -1);
                ids += Long.parseLong(f[0]);
                amounts += Double.parseDouble(f[1]);
                names += f[2].isEmpty() ? 0 : 1;
                qty += Long.parseLong(f[3]);
            }
        }
        return ids + amounts + names + qty;
    }

    /** Deletes the file. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        sw.close();
        Files.deleteIfExists(file);
        Files.deleteIfExists(temp.resolve("spill"));
        Files.deleteIfExists(temp);
    }
}
