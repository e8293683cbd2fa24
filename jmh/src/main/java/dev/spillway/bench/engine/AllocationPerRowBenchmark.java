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
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;

/**
 * Heap bytes allocated per input row by a warm engine (built once, two workers) running
 * scan → filter → equi-join → group-by over {@value #ROWS} order rows, stage by stage:
 * <ul>
 *   <li>{@code SCAN}: scan, then one global aggregate per column the full query reads (count,
 *       sum, sum, max: one row out), so that every stage parses the same columns;</li>
 *   <li>{@code FILTER}: + {@code amount > 25.0 and qty < 40} (keeps about 60% of the rows);</li>
 *   <li>{@code JOIN}: + inner join with {@code customers} customers (an in-memory frame) on
 *       {@code customer_id};</li>
 *   <li>{@code GROUP_BY}: + group by {@code country} (50 groups) with sum, count, mean and max,
 *       instead of the global aggregates.</li>
 * </ul>
 * {@code source} is {@code CSV} (a file written once at set-up, about 120 MB, in the page cache;
 * one amount in eight has 16 or 17 significant digits, as Java and Python print doubles) or
 * {@code MEMORY} (the same rows as one native frame, handed out in zero-copy slices); {@code PARQUET}
 * and {@code IPC} (the same rows written once through the engine's sinks) are there to be asked for
 * with {@code -p source=PARQUET,IPC}. {@code customers} sets the build side: the default is small;
 * {@code -p customers=1000000} shows what the join allocates per build row.
 *
 * <p>Each operation is one whole query and counts as {@value #ROWS} operations
 * ({@link OperationsPerInvocation}), so under {@code -prof gc} {@code gc.alloc.rate.norm} is heap
 * bytes per input row directly, and the score is nanoseconds per input row. What a query allocates
 * once (planning, the pipelines, the customers' hash table, the result) is spread over the rows;
 * the goal is that the per-row figure is about zero, i.e. nothing on the per-morsel paths grows
 * with the rows of a morsel.
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar AllocationPerRow -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
@State(Scope.Benchmark)
public class AllocationPerRowBenchmark {
    static final int ROWS = 4_000_000;
    private static final int COUNTRIES = 50;

    /** How far the query goes. */
    public enum Stage {
        /** Scan and aggregate globally. */
        SCAN,
        /** Scan, filter and aggregate globally. */
        FILTER,
        /** Scan, filter, join and aggregate globally. */
        JOIN,
        /** Scan, filter, join and group by. */
        GROUP_BY
    }

    /** Where the orders come from. */
    public enum Input {
        /** A CSV file, parsed on every query. */
        CSV,
        /** A native frame built once. */
        MEMORY,
        /** A Parquet file (zstd), decoded on every query. */
        PARQUET,
        /** An Arrow IPC file, mapped and read in place on every query. */
        IPC
    }

    @Param({"CSV", "MEMORY"})
    private Input source;

    @Param({"SCAN", "FILTER", "JOIN", "GROUP_BY"})
    private Stage stage;

    @Param({"10000"})
    private int customers;

    private Path temp;
    private Spillway sw;
    private LazyFrame query;

    /** Writes the orders file, builds the engine and the query. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        temp = Files.createTempDirectory("alloc-bench");
        sw = Spillway.builder().threads(2).memoryLimit(4L << 30).tempDir(temp.resolve("spill")).build();
        LazyFrame orders = switch (source) {
            case CSV -> sw.scanCsv(writeOrders(temp.resolve("orders.csv")));
            case MEMORY -> ordersFrame();
            case PARQUET -> {
                Path file = temp.resolve("orders.parquet");
                sw.scanCsv(writeOrders(temp.resolve("orders.csv"))).sinkParquet(file);
                yield sw.scanParquet(file);
            }
            case IPC -> {
                Path file = temp.resolve("orders.arrow");
                sw.scanCsv(writeOrders(temp.resolve("orders.csv"))).sinkIpc(file);
                yield sw.scanIpc(file);
            }
        };
        long[] customerId = new long[customers];
        String[] country = new String[customers];
        for (int i = 0; i < customers; i++) {
            customerId[i] = i;
            country[i] = "country-" + (i * 31 % COUNTRIES);
        }
        Map<String, Object> customerColumns = new LinkedHashMap<>();
        customerColumns.put("customer_id", customerId);
        customerColumns.put("country", country);
        LazyFrame q = orders;
        if (stage != Stage.SCAN) {
            q = q.filter(col("amount").gt(lit(25.0)).and(col("qty").lt(lit(40L))));
        }
        if (stage == Stage.JOIN || stage == Stage.GROUP_BY) {
            q = q.join(sw.fromColumns(customerColumns), "customer_id", JoinType.INNER);
        }
        query = stage == Stage.GROUP_BY
                ? q.groupBy("country").agg(col("amount").sum().alias("total"), col("order_id").count().alias("orders"),
                        col("qty").mean().alias("mean_qty"), col("amount").max().alias("largest"))
                : q.select(col("order_id").count().alias("orders"), col("customer_id").sum().alias("customers"),
                        col("amount").sum().alias("total"), col("qty").max().alias("largest_qty"));
    }

    private long customer(int i) {
        return (i * 104_729L) % customers;
    }

    private static double amount(int i) {
        return (i % 40_000) * 0.0025;
    }

    private static long qty(int i) {
        return i % 97;
    }

    private Path writeOrders(Path file) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("order_id,customer_id,amount,qty,status\n");
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < ROWS; i++) {
                line.setLength(0);
                line.append(i).append(',').append(customer(i)).append(',').append(amount(i)).append(',').append(qty(i))
                        .append(',').append(i % 3 == 0 ? "shipped" : "open").append('\n');
                w.append(line);
            }
        }
        return file;
    }

    private LazyFrame ordersFrame() {
        long[] id = new long[ROWS];
        long[] customer = new long[ROWS];
        double[] amount = new double[ROWS];
        long[] qty = new long[ROWS];
        String[] status = new String[ROWS];
        for (int i = 0; i < ROWS; i++) {
            id[i] = i;
            customer[i] = customer(i);
            amount[i] = amount(i);
            qty[i] = qty(i);
            status[i] = i % 3 == 0 ? "shipped" : "open";
        }
        Map<String, Object> columns = new LinkedHashMap<>();
        columns.put("order_id", id);
        columns.put("customer_id", customer);
        columns.put("amount", amount);
        columns.put("qty", qty);
        columns.put("status", status);
        return sw.fromColumns(columns);
    }

    /** The query, its (small) result collected and closed; returns the result's rows. */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public long query() {
        try (DataFrame df = query.collect()) {
            return df.rowCount();
        }
    }

    /** Frees the engine and deletes the file. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        sw.close();
        for (String name : new String[] {"orders.csv", "orders.parquet", "orders.arrow"}) {
            Files.deleteIfExists(temp.resolve(name));
        }
        Files.deleteIfExists(temp.resolve("spill"));
        Files.deleteIfExists(temp);
    }
}
