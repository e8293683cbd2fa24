import dev.spillway.Spillway;
import dev.spillway.options.JoinType;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Locale;

/**
 * The reference out-of-core join, one engine per process:
 * build = (key = i, payload = 64 characters) for i in [0, B); probe = (key = i * 7919 mod B,
 * amount = i / 100.0) for i in [0, P); inner join on key; the result (key, amount, payload) is
 * written to a CSV file whose row count is printed.
 *
 *   JoinCompare generate DIR B P
 *   JoinCompare spillway DIR CAP_BYTES_OR_0 OUT
 *   JoinCompare duckdb DIR CAP_BYTES_OR_0 OUT
 */
public final class JoinCompare {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        switch (args[0]) {
            case "generate" -> generate(dir, Long.parseLong(args[2]), Long.parseLong(args[3]));
            case "spillway" -> spillway(dir, Long.parseLong(args[2]), Path.of(args[3]));
            case "duckdb" -> duckdb(dir, Long.parseLong(args[2]), Path.of(args[3]));
            default -> throw new IllegalArgumentException("mode must be generate, spillway or duckdb");
        }
    }

    private static void generate(Path dir, long b, long p) throws Exception {
        Files.createDirectories(dir);
        String tail = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghij";
        try (BufferedWriter w = Files.newBufferedWriter(dir.resolve("build.csv"), StandardCharsets.UTF_8)) {
            w.write("key,payload\n");
            for (long i = 0; i < b; i++) {
                String id = Long.toString(i);
                w.write(id);
                w.write(',');
                w.write(id);
                w.write(tail, 0, 64 - id.length());
                w.write('\n');
            }
        }
        try (BufferedWriter w = Files.newBufferedWriter(dir.resolve("probe.csv"), StandardCharsets.UTF_8)) {
            w.write("key,amount\n");
            for (long i = 0; i < p; i++) {
                w.write(Long.toString(i * 7919 % b));
                w.write(',');
                w.write(Double.toString(i / 100.0));
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
            long rows = sw.scanCsv(dir.resolve("probe.csv"))
                    .join(sw.scanCsv(dir.resolve("build.csv")), "key", JoinType.INNER)
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
                s.execute("COPY (SELECT p.key, p.amount, b.payload FROM read_csv('" + dir.resolve("probe.csv") + "') p JOIN "
                        + "read_csv('" + dir.resolve("build.csv") + "') b ON p.key = b.key) TO '" + out + "' (HEADER)");
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
