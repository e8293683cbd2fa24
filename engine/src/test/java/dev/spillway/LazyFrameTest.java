package dev.spillway;

import dev.spillway.types.DataType;
import dev.spillway.errors.PlanException;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.spillway.EngineTestSupport.withEngine;
import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static dev.spillway.Expr.when;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LazyFrameTest {
    private static Path orders(Path dir) throws Exception {
        Path f = dir.resolve("orders.csv");
        Files.writeString(f, """
                order_id,customer,amount,day
                1,alice,50.0,2024-01-03
                2,bob,150.0,2024-02-10
                3,carol,,2024-02-11
                4,"dave, jr.",300.5,2024-03-01
                5,erin,99.99,
                """);
        return f;
    }

    @Test
    void readmeExampleEndToEnd() {
        withEngine((sw, dir) -> {
            LazyFrame orders = sw.scanCsv(orders(dir));
            assertEquals(List.of("order_id", "customer", "amount", "day"), orders.schema().names());
            assertEquals(DataType.INT64, orders.schema().field("order_id").type());
            assertEquals(DataType.FLOAT64, orders.schema().field("amount").type());
            assertEquals(DataType.DATE32, orders.schema().field("day").type());
            LazyFrame big = orders.filter(col("amount").gt(lit(100.0)))
                    .withColumns(col("amount").times(lit(1.2)).alias("gross"))
                    .select(col("order_id"), col("gross"));
            assertEquals("""
                    STREAMING_COLLECT  [1 pipeline]
                      STREAMING_SELECT [col("order_id"), (col("amount") * 1.2) as gross]
                        STREAMING_FILTER (col("amount") > 100.0)
                          STREAMING_SCAN_CSV orders.csv columns=[order_id, amount]
                    """, big.explain());
            try (DataFrame df = big.collect()) {
                assertEquals(2, df.rowCount());
                assertEquals(List.of(List.of(2L, 150.0 * 1.2), List.of(4L, 300.5 * 1.2)), df.rows());
                String table = df.toString();
                assertTrue(table.startsWith("shape: (2, 2)"), table);
                assertTrue(table.contains("order_id") && table.contains("f64") || table.contains("float64"), table);
            }
            Path out = dir.resolve("out.csv");
            assertEquals(2, big.sinkCsv(out));
            assertEquals("order_id,gross\n2,180.0\n4,360.59999999999997\n", Files.readString(out));
        });
    }

    @Test
    void expressionsNullsAndWhen() {
        withEngine((sw, dir) -> {
            LazyFrame orders = sw.scanCsv(orders(dir));
            try (DataFrame df = orders.select(
                    col("order_id"),
                    col("amount").isNull().alias("no_amount"),
                    when(col("amount").gt(lit(100.0))).then(lit("big")).when(col("amount").isNull()).then(lit("none"))
                            .otherwise(lit("small")).alias("size"),
                    col("day").month().alias("m"),
                    col("customer").startsWith("d").alias("d"),
                    col("customer").charLength().alias("len")).collect()) {
                assertEquals(Arrays.asList(1L, false, "small", 1, false, 5), df.row(0));
                assertEquals(Arrays.asList(3L, true, "none", 2, false, 5), df.row(2));
                assertEquals(Arrays.asList(4L, false, "big", 3, true, 9), df.row(3));
                assertEquals(Arrays.asList(5L, false, "small", null, false, 4), df.row(4));
            }
        });
    }

    @Test
    void headStopsEarlyAndSliceKeepsOrder() {
        withEngine((sw, dir) -> {
            try (DataFrame df = sw.range("x", 0, 50_000_000).head(5).collect()) {
                assertEquals(List.of(0L, 1L, 2L, 3L, 4L), df.columnValues("x"));
            }
            try (DataFrame df = sw.range("x", 0, 1_000_000).filter(col("x").mod(lit(3L)).eq(lit(0L)))
                    .slice(100_000, 3).collect()) {
                assertEquals(List.of(300_000L, 300_003L, 300_006L), df.columnValues("x"));
            }
        });
    }

    @Test
    void headOnAnEndlessSourceFinishes() {
        // Without the early stop this range would take years: the timeout only detects a hang.
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> withEngine((sw, dir) -> {
            try (DataFrame df = sw.range("x", 0, Long.MAX_VALUE / 2).filter(col("x").mod(lit(2L)).eq(lit(1L))).head(3)
                    .collect()) {
                assertEquals(List.of(1L, 3L, 5L), df.columnValues("x"));
            }
        }));
    }

    @Test
    void oneEngineServesManyThreadsAtOnce() {
        withEngine((sw, dir) -> {
            Path f = orders(dir);
            try (ExecutorService clients = Executors.newFixedThreadPool(6)) {
                List<Future<Long>> sums = new ArrayList<>();
                for (int q = 0; q < 24; q++) {
                    long end = 10_000L * (q + 1);
                    boolean csv = q % 3 == 0;
                    sums.add(clients.submit(() -> {
                        LazyFrame frame = csv ? sw.scanCsv(f).select(col("order_id").alias("x"))
                                : sw.range("x", 0, end).filter(col("x").mod(lit(5L)).eq(lit(0L)));
                        try (DataFrame df = frame.collect()) {
                            long sum = 0;
                            for (Object v : df.columnValues("x")) {
                                sum += (Long) v;
                            }
                            return sum;
                        }
                    }));
                }
                for (int q = 0; q < sums.size(); q++) {
                    long expected = 0;
                    if (q % 3 == 0) {
                        expected = 1 + 2 + 3 + 4 + 5;
                    } else {
                        for (long x = 0; x < 10_000L * (q + 1); x += 5) {
                            expected += x;
                        }
                    }
                    assertEquals(expected, sums.get(q).get(), "query " + q);
                }
            }
        });
    }

    @Test
    void renameDropConcatAndFromColumns() {
        withEngine((sw, dir) -> {
            Map<String, Object> cols = new LinkedHashMap<>();
            cols.put("id", new long[] {1, 2, 3});
            cols.put("name", Arrays.asList("a", null, "c"));
            cols.put("when", new LocalDate[] {LocalDate.of(2020, 1, 1), null, LocalDate.of(1969, 12, 31)});
            LazyFrame small = sw.fromColumns(cols);
            LazyFrame renamed = small.rename("name", "label").drop("when");
            assertEquals(List.of("id", "label"), renamed.schema().names());
            try (DataFrame df = renamed.concat(renamed.filter(col("id").ge(lit(2L)))).collect()) {
                assertEquals(List.of(1L, 2L, 3L, 2L, 3L), df.columnValues("id"));
                assertEquals(Arrays.asList("a", null, "c", null, "c"), df.columnValues("label"));
            }
            try (DataFrame df = small.select(col("when").year().alias("y")).collect()) {
                assertEquals(Arrays.asList(2020, null, 1969), df.columnValues("y"));
            }
        });
    }

    @Test
    void emptyTypedArraysKeepTheirTypeAndAGlobalAggregateOverThemHasOneRow() {
        withEngine((sw, dir) -> {
            Map<String, Object> cols = new LinkedHashMap<>();
            cols.put("v", new double[0]);
            cols.put("n", new long[0]);
            cols.put("d", new LocalDate[0]);
            cols.put("s", new String[0]);
            LazyFrame empty = sw.fromColumns(cols);
            assertEquals(List.of(DataType.FLOAT64, DataType.INT64, DataType.DATE32, DataType.UTF8),
                    empty.schema().fields().stream().map(f -> f.type()).toList());
            try (DataFrame df = empty.select(col("v").sum().alias("s"), col("n").count().alias("c")).collect()) {
                assertEquals(1, df.rowCount(), "a global aggregate has one row, even over no input");
                assertEquals(Arrays.asList(null, 0L), df.row(0));
            }
        });
    }

    @Test
    void planTimeErrorsNameWhatExists() {
        withEngine((sw, dir) -> {
            LazyFrame orders = sw.scanCsv(orders(dir));
            PlanException e = assertThrows(PlanException.class, () -> orders.select(col("amout")));
            assertEquals("column 'amout' not found; available: order_id, customer, amount, day", e.getMessage());
            IllegalArgumentException t = assertThrows(IllegalArgumentException.class,
                    () -> orders.filter(col("customer").plus(lit(1L))));
            assertTrue(t.getMessage().contains("cannot apply '+' to utf8 and int64 in (col(\"customer\") + 1)"), t.getMessage());
            PlanException f = assertThrows(PlanException.class, () -> orders.filter(col("amount")));
            assertTrue(f.getMessage().contains("is float64, not boolean"), f.getMessage());
            assertThrows(PlanException.class, () -> orders.drop("nope"));
            assertThrows(PlanException.class, () -> sw.scanCsv(dir.resolve("missing.csv")));
        });
    }

    @Test
    void inMemoryEngineGivesTheSameResult() {
        withEngine((sw, dir) -> {
            LazyFrame q = sw.range("x", 0, 300_000).withColumns(col("x").times(lit(2L)).alias("y"))
                    .filter(col("y").mod(lit(7L)).eq(lit(1L)));
            try (DataFrame a = q.collect(); DataFrame b = q.collect(Engine.IN_MEMORY)) {
                assertTrue(a.contentEquals(b));
                List<Object> expected = new ArrayList<>();
                for (long x = 0; x < 300_000; x++) {
                    if ((2 * x) % 7 == 1) {
                        expected.add(x);
                    }
                }
                assertEquals(expected, a.columnValues("x"));
            }
        });
    }
}
