import dev.spillway.DataFrame;
import dev.spillway.Spillway;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.Locale;
import java.util.SplittableRandom;

import static dev.spillway.Expr.col;

/**
 * Generates (once) a CSV file of mixed columns and times a full parse of it by Spillway and by
 * DuckDB in this JVM. Both queries read every column and keep no row:
 * rows where every column is null (there are none).
 */
public final class CsvCompare {
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        long targetBytes = Long.parseLong(args[1]) << 20;
        int runs = Integer.parseInt(args[2]);
        if (!Files.exists(file) || Files.size(file) < targetBytes * 0.95) {
            generate(file, targetBytes);
        }
        double mb = Files.size(file) / 1048576.0;
        System.out.printf(Locale.ROOT, "file %s: %.0f MB%n", file.getFileName(), mb);

        try (Spillway sw = Spillway.builder().threads(2).build();
             Connection duck = DriverManager.getConnection("jdbc:duckdb:")) {
            try (Statement s = duck.createStatement()) {
                s.execute("SET threads=2");
            }
            for (int r = 0; r < runs; r++) {
                long t0 = System.nanoTime();
                long spillwayRows;
                try (DataFrame df = sw.scanCsv(file)
                        .filter(col("id").isNull().and(col("amount").isNull()).and(col("name").isNull())
                                .and(col("day").isNull()))
                        .collect()) {
                    spillwayRows = df.rowCount();
                }
                double spillwaySec = (System.nanoTime() - t0) / 1e9;

                long t1 = System.nanoTime();
                long duckRows;
                try (Statement s = duck.createStatement();
                     ResultSet rs = s.executeQuery("SELECT count(*) FROM read_csv('" + file + "') WHERE id IS NULL AND "
                             + "amount IS NULL AND name IS NULL AND day IS NULL")) {
                    rs.next();
                    duckRows = rs.getLong(1);
                }
                double duckSec = (System.nanoTime() - t1) / 1e9;
                System.out.printf(Locale.ROOT,
                        "run %d: spillway %.2f s (%.0f MB/s, %d rows kept)  duckdb %.2f s (%.0f MB/s, %d rows kept)  ratio spillway/duckdb throughput %.2f%n",
                        r + 1, spillwaySec, mb / spillwaySec, spillwayRows, duckSec, mb / duckSec, duckRows, duckSec / spillwaySec);
            }
        }
    }

    private static void generate(Path file, long targetBytes) throws Exception {
        System.out.println("generating " + file + " ...");
        SplittableRandom rnd = new SplittableRandom(2024);
        long bytes = 0;
        long id = 0;
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("id,amount,name,day\n");
            StringBuilder sb = new StringBuilder(128);
            while (bytes < targetBytes) {
                sb.setLength(0);
                sb.append(id++).append(',');
                sb.append(rnd.nextInt(1_000_000) / 100.0).append(',');
                sb.append("customer_").append(rnd.nextInt(5_000_000));
                if (rnd.nextInt(10) == 0) {
                    sb.append(" \"vip\"");
                }
                sb.append(',');
                sb.append(LocalDate.ofEpochDay(15_000 + rnd.nextInt(5000))).append('\n');
                String line = sb.toString();
                if (line.contains("\"")) {
                    line = line.replaceFirst(",customer_(.*?),", ",\"customer_$1\",").replace(" \"vip\"", " \"\"vip\"\"");
                }
                w.write(line);
                bytes += line.length();
            }
        }
    }
}
