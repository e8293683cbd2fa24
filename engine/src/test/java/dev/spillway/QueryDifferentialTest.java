package dev.spillway;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.spillway.EngineTestSupport.withEngine;
import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Random filter/select chains over random data, from memory and from CSV, against plain Java. */
class QueryDifferentialTest {
    private record Row(Long a, Double b, String c) {
    }

    @Test
    void randomChainsMatchTheJavaOracle() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        try {
            withEngine((sw, dir) -> {
                for (int round = 0; round < 12; round++) {
                    int n = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(3) : 1 + rnd.nextInt(400_000);
                    List<Row> rows = new ArrayList<>(n);
                    List<Long> a = new ArrayList<>(n);
                    List<Double> b = new ArrayList<>(n);
                    List<String> c = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        // Row 0 has no nulls so that every column's type can be inferred from the values.
                        boolean nullable = i > 0;
                        Long av = nullable && rnd.nextInt(10) == 0 ? null : (long) rnd.nextInt(1000);
                        Double bv = nullable && rnd.nextInt(10) == 0 ? null : rnd.nextInt(10_000) / 10.0;
                        String cv = nullable && rnd.nextInt(10) == 0 ? null : "k" + rnd.nextInt(50);
                        rows.add(new Row(av, bv, cv));
                        a.add(av);
                        b.add(bv);
                        c.add(cv);
                    }
                    Map<String, Object> cols = new LinkedHashMap<>();
                    cols.put("a", a);
                    cols.put("b", b);
                    cols.put("c", c);
                    LazyFrame frame = sw.fromColumns(cols);
                    if (rnd.nextBoolean() && n > 0) {
                        Path f = dir.resolve("r" + round + ".csv");
                        frame.sinkCsv(f);
                        frame = sw.scanCsv(f, dev.spillway.options.CsvOptions.defaults().withSchema(frame.schema()));
                    }
                    long limit = rnd.nextInt(3) == 0 ? rnd.nextInt(1000) : Long.MAX_VALUE;
                    long threshold = rnd.nextInt(1000);
                    double bmax = rnd.nextInt(10_000) / 10.0;
                    String prefix = "k" + rnd.nextInt(5);
                    LazyFrame q = frame
                            .filter(col("a").gt(lit(threshold)).or(col("c").startsWith(prefix)))
                            .withColumns(col("a").times(lit(3L)).plus(lit(1L)).alias("a3"), col("b").div(lit(2.0)).alias("half"))
                            .filter(col("half").le(lit(bmax)).not().not())
                            .select(col("a3"), col("c"), col("half"));
                    if (limit != Long.MAX_VALUE) {
                        q = q.head(limit);
                    }
                    List<List<Object>> expected = new ArrayList<>();
                    for (Row r : rows) {
                        if (expected.size() >= limit) {
                            // head(0) included: the oracle stops before the first row.
                            break;
                        }
                        Boolean gt = r.a == null ? null : r.a > threshold;
                        Boolean sw1 = r.c == null ? null : r.c.startsWith(prefix);
                        boolean keep1 = Boolean.TRUE.equals(gt) || Boolean.TRUE.equals(sw1);
                        if (!keep1) {
                            continue;
                        }
                        Double half = r.b == null ? null : r.b / 2.0;
                        if (half == null || !(half <= bmax)) {
                            continue;
                        }
                        expected.add(Arrays.asList(r.a == null ? null : r.a * 3 + 1, r.c, half));
                    }
                    try (DataFrame df = q.collect()) {
                        assertEquals(expected, df.rows(), "round " + round);
                    }
                }
            });
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("failed with seed " + seed, e);
        }
    }

    @Test
    void malformedCsvFailsTheQueryWithTheFileLineAndColumn() {
        withEngine((sw, dir) -> {
            Path f = dir.resolve("bad.csv");
            StringBuilder sb = new StringBuilder("id,amount\n");
            for (int i = 0; i < 5000; i++) {
                sb.append(i).append(',').append(i * 1.5).append('\n');
            }
            sb.append("5000,oops\n");
            Files.writeString(f, sb.toString());
            LazyFrame q = sw.scanCsv(f).filter(col("amount").gt(lit(0.0)));
            RuntimeException e = assertThrows(RuntimeException.class, q::collect);
            assertTrue(e.getMessage().contains("bad.csv:5002: column 2 ('amount'): cannot parse as a float64: 'oops'"),
                    e.getMessage());
            assertInstanceOf(dev.spillway.errors.CsvFormatException.class, e.getCause());
            assertTrue(sw.budget().reserved() == 0, "the failed query released its memory");
            assertThrows(RuntimeException.class, () -> q.sinkCsv(dir.resolve("out.csv")));
            assertTrue(Files.notExists(dir.resolve("out.csv")), "no partial output file");
        });
    }
}
