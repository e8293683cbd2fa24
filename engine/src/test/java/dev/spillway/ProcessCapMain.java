package dev.spillway;

import dev.spillway.options.JoinType;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;

/**
 * The child JVM of {@link ProcessCapTest}: a join, a group-by and a sort that all spill under a
 * 64 MiB cap, each written to CSV and checked, then one line of figures on stdout:
 * {@code baseline=<bytes> hwm=<bytes> anon=<bytes> file=<bytes> reserved=<bytes> outstanding=<n> retained=<bytes> spilled=<j>,<g>,<s>}.
 * The baseline is the resident set after the JVM, the heap ({@code -Xms} = {@code -Xmx}, pre-touched)
 * and the engine's code are warm (a small query that does not spill), before the big ones start.
 */
public final class ProcessCapMain {
    private static final long CAP = 64L << 20;

    private ProcessCapMain() {
    }

    /** Args: a scratch directory. */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long baseline;
        long[] spilled = new long[3];
        long reserved;
        long outstanding;
        long retained;
        try (Spillway sw = Spillway.builder().memoryLimit(CAP).threads(2).tempDir(dir.resolve("spill")).build()) {
            // Warm-up: the same operators on small data, nothing spills.
            Path warm = dir.resolve("warm.csv");
            sw.range("i", 0, 50_000).select(col("i").mod(lit(100L)).alias("k"), col("i").alias("v"))
                    .join(sw.range("k", 0, 100), "k", JoinType.INNER).groupBy("k").agg(col("v").sum().alias("s"))
                    .sort("s").sinkCsv(warm);
            Files.delete(warm);
            baseline = ProcessMemory.read().rssBytes();

            long buildRows = 1_000_000;
            long probeRows = 3_000_000;
            Path joined = dir.resolve("join.csv");
            LazyFrame build = sw.range("key", 0, buildRows).withColumns(
                    lit("payload-payload-payload-payload-payload-payload-payload").alias("payload"));
            sw.range("i", 0, probeRows).select(col("i").mod(lit(buildRows)).alias("key"), col("i").alias("amount"))
                    .join(build, "key", JoinType.INNER).select(col("key"), col("amount")).sinkCsv(joined);
            spilled[0] = sw.lastProfile().spilledRawBytes();
            long[] sums = sumColumns(joined, 2);
            check(sums[0] == probeRows, "join rows " + sums[0]);
            check(sums[2] == probeRows * (probeRows - 1) / 2, "join amount sum " + sums[2]);
            Files.delete(joined);

            long groups = 1_000_000;
            Path grouped = dir.resolve("group.csv");
            sw.range("i", 0, 3 * groups).select(col("i").mod(lit(groups)).alias("k"), col("i").alias("v"))
                    .groupBy("k").agg(col("v").sum().alias("s"), col("v").count().alias("n"))
                    .sinkCsv(grouped);
            spilled[1] = sw.lastProfile().spilledRawBytes();
            sums = sumColumns(grouped, 3);
            check(sums[0] == groups, "groups " + sums[0]);
            check(sums[2] == 3 * groups * (3 * groups - 1) / 2, "group sum " + sums[2]);
            check(sums[3] == 3 * groups, "group counts " + sums[3]);
            Files.delete(grouped);

            long sortRows = 6_000_000;
            Path sorted = dir.resolve("sort.csv");
            sw.range("i", 0, sortRows).select(col("i").times(lit(7919L)).mod(lit(sortRows)).alias("x"), col("i").alias("y"))
                    .sort("x").sinkCsv(sorted);
            spilled[2] = sw.lastProfile().spilledRawBytes();
            checkSorted(sorted, sortRows);
            Files.delete(sorted);

            reserved = sw.budget().reserved();
            outstanding = sw.pool().outstandingBuffers();
            sw.pool().awaitIdleRelease();
            retained = sw.pool().retainedBytes();
        }
        ProcessMemory end = ProcessMemory.read();
        System.out.println("baseline=" + baseline + " hwm=" + end.hwmBytes() + " anon=" + end.anonBytes() + " file="
                + end.fileBytes() + " reserved=" + reserved + " outstanding=" + outstanding + " retained=" + retained
                + " spilled=" + spilled[0] + "," + spilled[1] + "," + spilled[2]);
    }

    /** Row count, then the sum of each of the first {@code columns} integer columns (index 1..). */
    private static long[] sumColumns(Path csv, int columns) throws IOException {
        long[] sums = new long[columns + 1];
        try (BufferedReader r = Files.newBufferedReader(csv)) {
            r.readLine();
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                sums[0]++;
                int from = 0;
                for (int c = 1; c <= columns; c++) {
                    int to = line.indexOf(',', from);
                    sums[c] += Long.parseLong(to < 0 ? line.substring(from) : line.substring(from, to));
                    from = to + 1;
                }
            }
        }
        return sums;
    }

    private static void checkSorted(Path csv, long rows) throws IOException {
        long n = 0;
        long prev = Long.MIN_VALUE;
        try (BufferedReader r = Files.newBufferedReader(csv)) {
            r.readLine();
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                long x = Long.parseLong(line.substring(0, line.indexOf(',')));
                check(x >= prev, "sort order broken at row " + n);
                prev = x;
                n++;
            }
        }
        check(n == rows, "sorted rows " + n);
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
