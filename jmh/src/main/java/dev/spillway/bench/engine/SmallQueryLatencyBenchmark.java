package dev.spillway.bench.engine;

import dev.spillway.DataFrame;
import dev.spillway.LazyFrame;
import dev.spillway.Spillway;
import dev.spillway.options.JoinType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.spillway.Expr.col;

/**
 * Latency of small queries on one warm engine, as a service answering a query per request sees
 * it, beside DuckDB's JDBC driver in the same JVM on the same data:
 * <ul>
 *   <li>{@code join}: {@value #ORDERS} orders joined with {@value #CUSTOMERS} customers on the
 *       customer id, grouped into {@value #NAMES} customer names with a sum (20 rows);</li>
 *   <li>{@code sum}: a global sum over the {@value #ORDERS} orders (one row).</li>
 * </ul>
 * Spillway runs on two worker threads over in-memory frames ({@code fromColumns}) and builds the
 * lazy query per call (planning is part of what a request pays); DuckDB runs a prepared statement
 * over tables filled with the same values, two threads. Both read every result row.
 *
 * <p>Sample mode: JMH prints p50, p90, p99 and p99.9 per benchmark. DuckDB's driver is not in the
 * benchmarks jar; {@code perf-scripts/latency.sh} puts it on the class path (without it the
 * {@code duckdb} benchmark fails with "no suitable driver").
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx1g"})
@State(Scope.Benchmark)
public class SmallQueryLatencyBenchmark {
    static final int ORDERS = 10_000;
    static final int CUSTOMERS = 1_000;
    static final int NAMES = 20;

    /** Which query. */
    @Param({"join", "sum"})
    public String query;

    private Path temp;
    private Spillway sw;
    private LazyFrame orders;
    private LazyFrame customers;
    private Connection duck;
    private PreparedStatement duckQuery;

    /** Builds the engine, the frames and DuckDB's tables with the same values. */
    @Setup(Level.Trial)
    public void setUp() throws IOException, SQLException {
        temp = Files.createTempDirectory("latency-bench");
        sw = Spillway.builder().threads(2).memoryLimit(256L << 20).tempDir(temp).build();
        long[] orderCustomer = new long[ORDERS];
        double[] amount = new double[ORDERS];
        for (int i = 0; i < ORDERS; i++) {
            orderCustomer[i] = (i * 7919L) % CUSTOMERS;
            amount[i] = (i % 400) * 0.25;
        }
        long[] customerId = new long[CUSTOMERS];
        String[] name = new String[CUSTOMERS];
        for (int i = 0; i < CUSTOMERS; i++) {
            customerId[i] = i;
            name[i] = "name-" + (i % NAMES);
        }
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("customer_id", orderCustomer);
        o.put("amount", amount);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("customer_id", customerId);
        c.put("name", name);
        orders = sw.fromColumns(o);
        customers = sw.fromColumns(c);

        duck = DriverManager.getConnection("jdbc:duckdb:");
        try (Statement s = duck.createStatement()) {
            s.execute("SET threads = 2");
            s.execute("CREATE TABLE orders AS SELECT (i * 7919) % " + CUSTOMERS + " AS customer_id,"
                    + " (i % 400) * 0.25::DOUBLE AS amount FROM range(" + ORDERS + ") t(i)");
            s.execute("CREATE TABLE customers AS SELECT i AS customer_id, 'name-' || (i % " + NAMES + ") AS name"
                    + " FROM range(" + CUSTOMERS + ") t(i)");
        }
        duckQuery = duck.prepareStatement(query.equals("join")
                ? "SELECT c.name, sum(o.amount) AS total FROM orders o JOIN customers c ON o.customer_id = c.customer_id"
                        + " GROUP BY c.name"
                : "SELECT sum(amount) AS total FROM orders");
    }

    /** Spillway: the query built and collected; returns the sum of the result's totals. */
    @Benchmark
    public double spillway() {
        LazyFrame q = query.equals("join")
                ? orders.join(customers, "customer_id", JoinType.INNER).groupBy("name").agg(col("amount").sum().alias("total"))
                : orders.select(col("amount").sum().alias("total"));
        try (DataFrame df = q.collect()) {
            double total = 0;
            for (Object v : df.columnValues("total")) {
                total += (Double) v;
            }
            return total;
        }
    }

    /** DuckDB: the prepared statement executed; returns the sum of the result's totals. */
    @Benchmark
    public double duckdb() throws SQLException {
        double total = 0;
        try (ResultSet rs = duckQuery.executeQuery()) {
            while (rs.next()) {
                total += rs.getDouble("total");
            }
        }
        return total;
    }

    /** Closes both engines. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException, SQLException {
        duckQuery.close();
        duck.close();
        sw.close();
        Files.deleteIfExists(temp);
    }
}
