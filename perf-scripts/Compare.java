import dev.spillway.LazyFrame;
import dev.spillway.SortKey;
import dev.spillway.Spillway;
import dev.spillway.options.CsvOptions;
import dev.spillway.options.JoinType;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Locale;

import static dev.spillway.Expr.col;

/**
 * The side-by-side suite's data, the Spillway and DuckDB runs of its queries, and the checksum of
 * a result file (the Polars runs are in compare-polars.js). One engine and query per process.
 *
 * <p>Data (CSV, deterministic; every amount is a multiple of 0.25, so every sum is exact in
 * float64 whatever the summation order, and checksums must agree exactly):
 * <ul>
 *   <li>build.csv: key = i, payload = i followed by letters up to 64 characters, i in [0, B)</li>
 *   <li>probe.csv: key = i * 7919 mod B, amount = (i mod 10000) * 0.25, i in [0, P)</li>
 *   <li>customers.csv: customer_id = i, country = "country-" + (i * 31 mod 50), i in [0, C)</li>
 *   <li>orders.csv: order_id = i, customer_id = i * 104729 mod C, amount = (i mod 40000) * 0.25,
 *       i in [0, O)</li>
 * </ul>
 * Queries (each writes its result as CSV):
 * <ul>
 *   <li>demo: probe JOIN build ON key, GROUP BY key: key, sum(amount) AS total</li>
 *   <li>country: orders JOIN customers ON customer_id, GROUP BY country: country, sum(amount) AS
 *       total, count(*) AS n</li>
 *   <li>customer: orders GROUP BY customer_id: customer_id, sum(amount) AS total, count(amount) AS n</li>
 *   <li>sort: orders ORDER BY amount DESC, order_id: order_id, amount</li>
 *   <li>topk: the first 100 rows of sort</li>
 * </ul>
 *
 *   Compare generate DIR B P C O
 *   Compare spillway|duckdb QUERY DIR CAP_BYTES_OR_0 OUT
 *   Compare checksum QUERY OUT
 */
public final class Compare {
    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "generate" -> generate(Path.of(args[1]), Long.parseLong(args[2]), Long.parseLong(args[3]),
                    Long.parseLong(args[4]), Long.parseLong(args[5]));
            case "spillway" -> spillway(args[1], Path.of(args[2]), Long.parseLong(args[3]), Path.of(args[4]));
            case "duckdb" -> duckdb(args[1], Path.of(args[2]), Long.parseLong(args[3]), Path.of(args[4]));
            case "checksum" -> System.out.println(checksum(args[1], Path.of(args[2])));
            default -> throw new IllegalArgumentException("mode must be generate, spillway, duckdb or checksum; got " + args[0]);
        }
    }

    // ------------------------------------------------------------------ data

    private static void generate(Path dir, long b, long p, long c, long o) throws Exception {
        Files.createDirectories(dir);
        String tail = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghij";
        write(dir.resolve("build.csv"), "key,payload", b, (i, w) -> {
            String id = Long.toString(i);
            w.write(id);
            w.write(',');
            w.write(id);
            w.write(tail, 0, 64 - id.length());
        });
        write(dir.resolve("probe.csv"), "key,amount", p, (i, w) -> {
            w.write(Long.toString(i * 7919 % b));
            w.write(',');
            w.write(quarter(i % 10000));
        });
        write(dir.resolve("customers.csv"), "customer_id,country", c, (i, w) -> {
            w.write(Long.toString(i));
            w.write(",country-");
            w.write(Long.toString(i * 31 % 50));
        });
        write(dir.resolve("orders.csv"), "order_id,customer_id,amount", o, (i, w) -> {
            w.write(Long.toString(i));
            w.write(',');
            w.write(Long.toString(i * 104729 % c));
            w.write(',');
            w.write(quarter(i % 40000));
        });
    }

    private static String quarter(long q) {
        return (q / 4) + (q % 4 == 0 ? ".0" : q % 4 == 1 ? ".25" : q % 4 == 2 ? ".5" : ".75");
    }

    private interface Row {
        void write(long i, BufferedWriter w) throws Exception;
    }

    private static void write(Path file, String header, long n, Row row) throws Exception {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write(header);
            w.write('\n');
            for (long i = 0; i < n; i++) {
                row.write(i, w);
                w.write('\n');
            }
        }
    }

    // ------------------------------------------------------------------ engines

    private static void spillway(String query, Path dir, long cap, Path out) {
        Spillway.Builder builder = Spillway.builder().threads(2).tempDir(dir.resolve("spill"));
        if (cap > 0) {
            builder.memoryLimit(cap);
        }
        try (Spillway sw = builder.build()) {
            long t0 = System.nanoTime();
            LazyFrame q = switch (query) {
                case "demo" -> sw.scanCsv(dir.resolve("probe.csv"))
                        .join(sw.scanCsv(dir.resolve("build.csv")), "key", JoinType.INNER)
                        .groupBy("key").agg(col("amount").sum().alias("total"));
                case "country" -> sw.scanCsv(dir.resolve("orders.csv"))
                        .join(sw.scanCsv(dir.resolve("customers.csv")), "customer_id", JoinType.INNER)
                        .groupBy("country").agg(col("amount").sum().alias("total"), dev.spillway.Expr.rowCount().alias("n"));
                case "customer" -> sw.scanCsv(dir.resolve("orders.csv"))
                        .groupBy("customer_id").agg(col("amount").sum().alias("total"), col("amount").count().alias("n"));
                case "sort" -> sw.scanCsv(dir.resolve("orders.csv")).select("order_id", "amount")
                        .sort(SortKey.desc("amount"), SortKey.asc("order_id"));
                case "topk" -> sw.scanCsv(dir.resolve("orders.csv")).select("order_id", "amount")
                        .sort(SortKey.desc("amount"), SortKey.asc("order_id")).head(100);
                default -> throw new IllegalArgumentException("unknown query " + query);
            };
            long rows = q.sinkCsv(out, CsvOptions.defaults());
            System.out.printf(Locale.ROOT, "spillway query=%s rows=%d seconds=%.2f peak-native=%d spilled-raw=%d%n", query, rows,
                    (System.nanoTime() - t0) / 1e9, sw.budget().peak(), sw.spills().stats().bytesWrittenRaw());
        }
    }

    private static void duckdb(String query, Path dir, long cap, Path out) throws Exception {
        String probe = "read_csv('" + dir.resolve("probe.csv") + "')";
        String build = "read_csv('" + dir.resolve("build.csv") + "')";
        String orders = "read_csv('" + dir.resolve("orders.csv") + "')";
        String customers = "read_csv('" + dir.resolve("customers.csv") + "')";
        String sql = switch (query) {
            case "demo" -> "SELECT p.key, sum(p.amount) AS total FROM " + probe + " p JOIN " + build + " b ON p.key = b.key"
                    + " GROUP BY p.key";
            case "country" -> "SELECT c.country, sum(o.amount) AS total, count(*) AS n FROM " + orders + " o JOIN " + customers
                    + " c ON o.customer_id = c.customer_id GROUP BY c.country";
            case "customer" -> "SELECT customer_id, sum(amount) AS total, count(amount) AS n FROM " + orders + " GROUP BY customer_id";
            case "sort" -> "SELECT order_id, amount FROM " + orders + " ORDER BY amount DESC, order_id";
            case "topk" -> "SELECT order_id, amount FROM " + orders + " ORDER BY amount DESC, order_id LIMIT 100";
            default -> throw new IllegalArgumentException("unknown query " + query);
        };
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:")) {
            try (Statement s = c.createStatement()) {
                s.execute("SET threads=2");
                s.execute("SET preserve_insertion_order=false");
                s.execute("SET temp_directory='" + dir.resolve("duck-spill") + "'");
                if (cap > 0) {
                    s.execute("SET memory_limit='" + cap / (1 << 20) + "MB'");
                }
            }
            long t0 = System.nanoTime();
            try (Statement s = c.createStatement()) {
                s.execute("COPY (" + sql + ") TO '" + out + "' (HEADER)");
            }
            System.out.printf(Locale.ROOT, "duckdb query=%s seconds=%.2f%n", query, (System.nanoTime() - t0) / 1e9);
        }
    }

    // ------------------------------------------------------------------ checksums

    /**
     * An engine-independent digest of a result file: its row count and exact sums of its numeric
     * columns (group-bys; groups in any order), or, for sorts, an order-sensitive digest of the
     * amount column (ties of equal amounts may come in any order without changing it).
     */
    static String checksum(String query, Path out) throws Exception {
        long rows = 0;
        BigDecimal a = BigDecimal.ZERO;
        BigDecimal b = BigDecimal.ZERO;
        try (BufferedReader r = Files.newBufferedReader(out, StandardCharsets.UTF_8)) {
            String header = r.readLine();
            if (header == null) {
                throw new IllegalStateException(out + " is empty");
            }
            String line;
            while ((line = r.readLine()) != null) {
                String[] f = line.split(",", -1);
                switch (query) {
                    case "demo" -> {
                        a = a.add(new BigDecimal(f[1]));
                        b = b.add(new BigDecimal(f[0]).multiply(new BigDecimal(f[1])));
                    }
                    case "country", "customer" -> {
                        a = a.add(new BigDecimal(f[1]));
                        b = b.add(new BigDecimal(f[2]));
                    }
                    case "sort", "topk" -> {
                        BigDecimal amount = new BigDecimal(f[1]);
                        a = a.add(amount);
                        b = b.add(amount.multiply(BigDecimal.valueOf(rows % 1009)));
                    }
                    default -> throw new IllegalArgumentException("unknown query " + query);
                }
                rows++;
            }
        }
        return "rows=" + rows + " a=" + a.stripTrailingZeros().toPlainString() + " b=" + b.stripTrailingZeros().toPlainString();
    }
}
