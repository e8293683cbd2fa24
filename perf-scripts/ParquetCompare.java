import dev.hardwood.InputFile;
import dev.hardwood.reader.ColumnReader;
import dev.hardwood.reader.ColumnReaders;
import dev.hardwood.reader.ParquetFileReader;
import dev.hardwood.reader.Validity;
import dev.hardwood.schema.ColumnProjection;
import dev.spillway.DataFrame;
import dev.spillway.Spillway;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Locale;

import static dev.spillway.Expr.col;

/**
 * Parquet scan speed, one engine per process: sum(amount) over one Parquet file of N rows
 * (id int64, amount float64, k int32, s string; zstd, written by DuckDB).
 *
 *   ParquetCompare generate FILE N
 *   ParquetCompare spillway FILE      (Spillway's scan: Hardwood, parallel row groups, 2 workers)
 *   ParquetCompare duckdb FILE        (DuckDB JDBC, threads=2)
 *   ParquetCompare hardwood FILE      (Hardwood alone, one thread, no Spillway: the reader's own speed)
 *
 * Each prints "rows=<non-null amounts> sum=<sum>" so the runs can be checked against each other.
 */
public final class ParquetCompare {
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[1]);
        switch (args[0]) {
            case "generate" -> generate(file, Long.parseLong(args[2]));
            case "spillway" -> spillway(file);
            case "duckdb" -> duckdb(file);
            case "hardwood" -> hardwood(file);
            default -> throw new IllegalArgumentException("mode must be generate, spillway, duckdb or hardwood");
        }
    }

    private static void generate(Path file, long n) throws Exception {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
            s.execute("SET threads=2");
            s.execute("COPY (SELECT i AS id, CASE WHEN i % 50 = 0 THEN NULL ELSE hash(i) % 1000000 / 100.0 END AS amount,"
                    + " (i % 1000)::INTEGER AS k, 'name-' || (hash(i * 7) % 100000) AS s FROM range(" + n + ") t(i))"
                    + " TO '" + tmp + "' (FORMAT parquet, COMPRESSION zstd)");
        }
        Files.move(tmp, file);
    }

    private static void spillway(Path file) {
        try (Spillway sw = Spillway.builder().threads(2).build()) {
            long t0 = System.nanoTime();
            try (DataFrame df = sw.scanParquet(file)
                    .select(col("amount").sum().alias("s"), col("amount").count().alias("n")).collect()) {
                System.out.printf(Locale.ROOT, "spillway rows=%d sum=%.2f seconds=%.2f%n", df.getLong(0, "n"),
                        df.getDouble(0, "s"), (System.nanoTime() - t0) / 1e9);
            }
        }
    }

    private static void duckdb(Path file) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
            s.execute("SET threads=2");
            long t0 = System.nanoTime();
            try (ResultSet rs = s.executeQuery("SELECT count(amount), sum(amount) FROM read_parquet('" + file + "')")) {
                rs.next();
                System.out.printf(Locale.ROOT, "duckdb rows=%d sum=%.2f seconds=%.2f%n", rs.getLong(1), rs.getDouble(2),
                        (System.nanoTime() - t0) / 1e9);
            }
        }
    }

    private static void hardwood(Path file) throws Exception {
        long t0 = System.nanoTime();
        long rows = 0;
        double sum = 0;
        try (ParquetFileReader r = ParquetFileReader.open(InputFile.of(file));
                ColumnReaders rs = r.buildColumnReaders(ColumnProjection.columns("amount")).build()) {
            while (rs.nextBatch()) {
                ColumnReader c = rs.getColumnReader(0);
                double[] v = c.getDoubles();
                Validity valid = c.getLeafValidity();
                int n = rs.getRecordCount();
                for (int k = 0; k < n; k++) {
                    if (valid == null || !valid.isNull(k)) {
                        sum += v[k];
                        rows++;
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "hardwood rows=%d sum=%.2f seconds=%.2f%n", rows, sum, (System.nanoTime() - t0) / 1e9);
    }
}
