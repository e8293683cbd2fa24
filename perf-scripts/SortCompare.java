import dev.spillway.SortKey;
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

/**
 * The reference out-of-core sort, one engine per process: N rows of (id int64, x float64 with two
 * decimals and many duplicates, y int64), sorted by x descending then y ascending; the full sort
 * or its first K rows (top-k) is written to a CSV file whose row count is printed.
 *
 *   SortCompare generate DIR N
 *   SortCompare spillway DIR CAP_BYTES_OR_0 OUT K_OR_0
 *   SortCompare duckdb DIR CAP_BYTES_OR_0 OUT K_OR_0
 */
public final class SortCompare {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        switch (args[0]) {
            case "generate" -> generate(dir, Long.parseLong(args[2]));
            case "spillway" -> spillway(dir, Long.parseLong(args[2]), Path.of(args[3]), Long.parseLong(args[4]));
            case "duckdb" -> duckdb(dir, Long.parseLong(args[2]), Path.of(args[3]), Long.parseLong(args[4]));
            default -> throw new IllegalArgumentException("mode must be generate, spillway or duckdb");
        }
    }

    private static void generate(Path dir, long n) throws Exception {
        Files.createDirectories(dir);
        SplittableRandom rnd = new SplittableRandom(42);
        try (BufferedWriter w = Files.newBufferedWriter(dir.resolve("rows.csv"), StandardCharsets.UTF_8)) {
            w.write("id,x,y\n");
            for (long i = 0; i < n; i++) {
                w.write(Long.toString(i));
                w.write(',');
                w.write(Double.toString(rnd.nextInt(1_000_000) / 100.0));
                w.write(',');
                w.write(Long.toString(rnd.nextLong(1_000_000_000L)));
                w.write('\n');
            }
        }
    }

    private static void spillway(Path dir, long cap, Path out, long k) {
        Spillway.Builder builder = Spillway.builder().threads(2).tempDir(dir.resolve("spill"));
        if (cap > 0) {
            builder.memoryLimit(cap);
        }
        try (Spillway sw = builder.build()) {
            long t0 = System.nanoTime();
            var sorted = sw.scanCsv(dir.resolve("rows.csv")).sort(SortKey.desc("x"), SortKey.asc("y"));
            long rows = (k > 0 ? sorted.head(k) : sorted).sinkCsv(out);
            System.out.printf(Locale.ROOT, "spillway rows=%d seconds=%.2f peak-native=%d spilled-raw=%d%n", rows,
                    (System.nanoTime() - t0) / 1e9, sw.budget().peak(), sw.spills().stats().bytesWrittenRaw());
        }
    }

    private static void duckdb(Path dir, long cap, Path out, long k) throws Exception {
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
                s.execute("COPY (SELECT * FROM read_csv('" + dir.resolve("rows.csv") + "') ORDER BY x DESC, y"
                        + (k > 0 ? " LIMIT " + k : "") + ") TO '" + out + "' (HEADER)");
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
