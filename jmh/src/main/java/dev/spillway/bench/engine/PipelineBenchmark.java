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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;

/**
 * The steady state of a whole streaming pipeline: scan (an in-memory frame of {@value #ROWS} orders)
 * → filter → hash-join probe (10,000 customers) → group by country (50) with a sum, on two worker
 * threads; against the same query over plain Java arrays and HashMaps on one thread. Run with
 * {@code -prof gc}: {@code gc.alloc.rate.norm} divided by {@value #ROWS} is the heap bytes
 * allocated per input row (the native data path should keep it near zero).
 *
 * <p>Scores are milliseconds per query. Run: {@code java -jar jmh/target/benchmarks.jar Pipeline -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
@State(Scope.Benchmark)
public class PipelineBenchmark {
    static final int ROWS = 4_000_000;
    private static final int CUSTOMERS = 10_000;

    private Path temp;
    private Spillway sw;
    private LazyFrame query;
    private long[] orderCustomer;
    private double[] orderAmount;
    private long[] customerId;
    private String[] customerCountry;

    /** Builds the frames and the query. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        temp = Files.createTempDirectory("pipeline-bench");
        sw = Spillway.builder().threads(2).memoryLimit(4L << 30).tempDir(temp).build();
        orderCustomer = new long[ROWS];
        orderAmount = new double[ROWS];
        for (int i = 0; i < ROWS; i++) {
            orderCustomer[i] = (i * 104729L) % CUSTOMERS;
            orderAmount[i] = (i % 40000) * 0.25;
        }
        customerId = new long[CUSTOMERS];
        customerCountry = new String[CUSTOMERS];
        for (int i = 0; i < CUSTOMERS; i++) {
            customerId[i] = i;
            customerCountry[i] = "country-" + (i * 31 % 50);
        }
        Map<String, Object> orders = new LinkedHashMap<>();
        orders.put("customer_id", orderCustomer);
        orders.put("amount", orderAmount);
        Map<String, Object> customers = new LinkedHashMap<>();
        customers.put("customer_id", customerId);
        customers.put("country", customerCountry);
        query = sw.fromColumns(orders)
                .filter(col("amount").gt(lit(100.0)))
                .join(sw.fromColumns(customers), "customer_id", JoinType.INNER)
                .groupBy("country").agg(col("amount").sum().alias("total"));
    }

    /** Spillway: the whole query, result collected (50 rows). */
    @Benchmark
    public long spillway() {
        try (DataFrame df = query.collect()) {
            return df.rowCount();
        }
    }

    /** Plain Java: the same filter, a HashMap probe and a HashMap of sums, one thread. */
    @Benchmark
    public int heapArrays() {
        Map<Long, String> byId = new HashMap<>(CUSTOMERS * 2);
        for (int i = 0; i < CUSTOMERS; i++) {
            byId.put(customerId[i], customerCountry[i]);
        }
        Map<String, double[]> sums = new HashMap<>();
        for (int i = 0; i < ROWS; i++) {
            double a = orderAmount[i];
            if (a > 100.0) {
                String country = byId.get(orderCustomer[i]);
                if (country != null) {
                    sums.computeIfAbsent(country, k -> new double[1])[0] += a;
                }
            }
        }
        return sums.size();
    }

    /** Frees the engine. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        sw.close();
        Files.deleteIfExists(temp);
    }
}
