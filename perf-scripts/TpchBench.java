import dev.spillway.DataFrame;
import dev.spillway.LazyFrame;
import dev.spillway.Spillway;
import dev.spillway.tpch.TpchGen;
import dev.spillway.tpch.TpchQueries;
import dev.spillway.tpch.TpchSchema;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/**
 * One TPC-H query on one engine, in a process of its own (perf-scripts/tpch.sh runs it under
 * /usr/bin/time -v for the peak RSS). Both engines read the same Parquet files with 2 threads and,
 * when CAP_BYTES is not 0, the same memory limit; Spillway runs the lazy-API query of
 * dev.spillway.tpch.TpchQueries ("spillway") or the official SQL text through the SQL front end
 * over the same tables ("spillway-sql"), DuckDB the SQL text over read_parquet views. Runs the query RUNS
 * times (default 1) in the same process and prints "seconds=S first=F rows=N": S the fastest run,
 * F the first (with a fresh JVM's class loading and JIT compilation); each run opens the engine
 * (DuckDB: the connection and its views), plans, executes and fetches the result.
 *
 *   TpchBench spillway|spillway-sql|duckdb QUERY DIR CAP_BYTES_OR_0 [RUNS]
 */
public final class TpchBench {
    public static void main(String[] args) throws Exception {
        int query = Integer.parseInt(args[1]);
        Path dir = Path.of(args[2]);
        long cap = Long.parseLong(args[3]);
        int runs = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        double first = 0;
        double best = Double.MAX_VALUE;
        long rows = 0;
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            rows = switch (args[0]) {
                case "spillway" -> spillway(query, dir, cap, false);
                case "spillway-sql" -> spillway(query, dir, cap, true);
                case "duckdb" -> duckdb(query, dir, cap);
                default -> throw new IllegalArgumentException("engine must be spillway, spillway-sql or duckdb, got " + args[0]);
            };
            double s = (System.nanoTime() - start) / 1e9;
            first = i == 0 ? s : first;
            best = Math.min(best, s);
        }
        System.out.printf(Locale.ROOT, "seconds=%.3f first=%.3f rows=%d%n", best, first, rows);
    }

    private static long spillway(int query, Path dir, long cap, boolean sql) {
        Spillway.Builder b = Spillway.builder().threads(2).tempDir(dir.resolve("spill"));
        if (cap > 0) {
            b.memoryLimit(cap);
        }
        try (Spillway sw = b.build()) {
            LazyFrame q;
            if (sql) {
                for (String t : TpchSchema.tables()) {
                    sw.register(t, TpchQueries.scan(sw, dir, t));
                }
                q = sw.sql(TpchQueries.sql(query));
            } else {
                q = TpchQueries.query(query, sw, dir);
            }
            try (DataFrame df = q.collect()) {
                return df.rowCount();
            }
        }
    }

    private static long duckdb(int query, Path dir, long cap) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
            s.execute("SET threads = 2");
            s.execute("SET temp_directory = '" + dir.resolve("duck-spill") + "'");
            if (cap > 0) {
                s.execute("SET memory_limit = '" + (cap >> 20) + "MB'");
            }
            for (String t : TpchSchema.tables()) {
                s.execute("CREATE VIEW " + t + " AS SELECT * FROM read_parquet('"
                        + TpchGen.file(dir, t, TpchGen.Format.PARQUET) + "')");
            }
            long rows = 0;
            try (ResultSet rs = s.executeQuery(TpchQueries.sql(query))) {
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    for (int i = 1; i <= n; i++) {
                        rs.getObject(i);
                    }
                    rows++;
                }
            }
            return rows;
        }
    }
}
