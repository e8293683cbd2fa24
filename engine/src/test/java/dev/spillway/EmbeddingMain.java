package dev.spillway;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;

/**
 * A tiny embedding application, run in a separate JVM by {@link EmbeddingTest}: it touches every
 * third-party library on the data path (JCTools queues in the scheduler, Agrona idle strategies,
 * LZ4 in the spiller, FFM downcalls for CPU pinning) and prints "ok".
 */
public final class EmbeddingMain {
    private EmbeddingMain() {
    }

    /** Args: a scratch directory. */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        try (Spillway sw = Spillway.builder().memoryLimit("64m").threads(2).pinThreads(true).tempDir(dir.resolve("spill"))
                .build()) {
            Path csv = dir.resolve("out.csv");
            sw.range("x", 0, 200_000).withColumns(col("x").times(lit(2L)).alias("y")).sinkCsv(csv);
            try (DataFrame df = sw.scanCsv(csv).filter(col("y").gt(lit(399_990L))).collect()) {
                if (df.rowCount() != 4) {
                    throw new AssertionError("expected 4 rows, got " + df.rowCount());
                }
            }
            Files.delete(csv);
        }
        System.out.println("ok");
    }
}
