import dev.spillway.Spillway;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Locale;
import java.util.SplittableRandom;

import static dev.spillway.Expr.col;

/**
 * The reference out-of-core group-by, one engine per process: N rows of (customer_id uniform in
 * [0, C), amount float64 with two decimals), grouped by customer_id with sum(amount) and
 * count(amount); the result is written to a CSV file whose row count is printed.
 *
 *   GroupByCompare generate DIR N C
 *   GroupByCompare spillway DIR CAP_BYTES_OR_0 OUT
 *   GroupByCompare duckdb DIR CAP_BYTES_OR_0 OUT
 */
public final class GroupByCompare {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        switch (args[0]) {
            case "generate" -> generate(dir, Long.parseLong(args[2]), Long.parseLong(args[3]));
            case "spillway" -> spillway(dir, Long.parseLong(args[2]), Path.of(args[3]));
            case "duckdb" -> duckdb(dir, Long.parseLong(args[2]), Path.of(args[3]));
            default -> throw new IllegalArgumentException("mode must be generate, spillway or duckdb");
        }
    }

    private static void generate(Path dir, long n, long customers) throws Exception {
        Files.createDirectories(dir);
        SplittableRandom rnd = new SplittableRandom(42);
        try (BufferedWriter w = Files.newBufferedWriter(dir.resolve("orders.csv"), StandardCharsets.UTF_8)) {
            w.write("customer_id,amount\n");
            for (long i = 0; i < n; i++) {
                w.write(Long.toString(rnd.nextLong(customers)));
                w.write(',');
                w.write(Double.toString(rnd.nextInt(1_000_000) / 100.0));
                w.write('\n');
            }
        }
    }

    private static void spillway(Path dir, long cap, Path out) {
        Spillway.Builder builder = Spillway.builder().threads(2).tempDir(dir.resolve("spill"));
        if (cap > 0) {
            builder.memoryLimit(cap);
        }
        try (Spillway sw = builder.build()) {
            long t0 = System.nanoTime();
            long rows = sw.scanCsv(dir.resolve("orders.csv"))
                    .groupBy("customer_id")
                    .agg(col("amount").sum().alias("total"), col("amount").count().alias("n"))
                    .sinkCsv(out);
            System.out.printf(Locale.ROOT, "spillway rows=%d seconds=%.2f peak-native=%d spilled-raw=%d%n", rows,
                    (System.nanoTime() - t0) / 1e9, sw.budget().peak(), sw.spills().stats().bytesWrittenRaw());
        }
    }

    private static void duckdb(Path dir, long cap, Path out) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:")) {
            try (Statement s = c.createStatement()) {
                s.execute("SET threads=2");
                s.execute("SET temp_directory='" + dir.resolve("duck-spill") + "'");
                if (cap > 0) {
                    s.execute("SET memory_limit='" + cap / (1 << 20) + "MB'");
                }
            }
            long t0 = System.nanoTime();
            try (Statement s = c.createStatement()) {
                s.execute("COPY (SELECT customer_id, sum(amount) AS total, count(amount) AS n FROM read_csv('"
                        + dir.resolve("orders.csv") + "') GROUP BY customer_id) TO '" + out + "' (HEADER)");
            }
            long rows;
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM read_csv('" + out + "')")) {
                rs.next();
                rows = rs.getLong(1);
            }
            System.out.printf(Locale.ROOT, "duckdb rows=%d seconds=%.2f%n", rows, (System.nanoTime() - t0) / 1e9);
        }
    }
}
