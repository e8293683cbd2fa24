package dev.spillway.cli;

import dev.spillway.internal.EngineInternals;

import dev.spillway.DataFrame;
import dev.spillway.LazyFrame;
import dev.spillway.QueryProfile;
import dev.spillway.Spillway;
import dev.spillway.types.DataType;
import dev.spillway.memory.Float64Vector;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.Morsel;
import dev.spillway.options.JoinType;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;

/**
 * The reference out-of-core query on generated data: a build side of {@code key} and a 64-character
 * {@code payload} per key, a probe side of {@code key = i mod buildRows} and {@code amount = i} as
 * float64, joined on {@code key} (inner) and grouped by {@code key} with {@code sum(amount)}. The
 * group-by also sums the payload lengths, which keeps the payload in the join (otherwise projection
 * pushdown would drop it) and checks that every match carried its payload.
 */
public final class Demo {
    /** The payload of every build row. */
    static final String PAYLOAD = "spillway-demo-payload-".repeat(3).substring(0, 64);

    private Demo() {
    }

    /**
     * The result figures.
     *
     * @param groups       result rows (distinct matched keys)
     * @param sumOfSums    the sum of all {@code sum(amount)} values
     * @param payloadBytes the sum of all payload lengths over matched rows
     * @param profile      the query's profile
     */
    public record Result(long groups, double sumOfSums, long payloadBytes, QueryProfile profile) {
    }

    /** The query on {@code sw}, not run. */
    public static LazyFrame query(Spillway sw, long buildRows, long probeRows) {
        LazyFrame build = sw.range("key", 0, buildRows).withColumns(lit(PAYLOAD).alias("payload"));
        LazyFrame probe = sw.range("i", 0, probeRows)
                .select(col("i").mod(lit(buildRows)).alias("key"), col("i").cast(DataType.FLOAT64).alias("amount"));
        return probe.join(build, "key", JoinType.INNER)
                .groupBy("key")
                .agg(col("amount").sum().alias("sum_amount"), col("payload").charLength().cast(DataType.INT64).sum()
                        .alias("payload_bytes"));
    }

    /** Runs the query and folds its result into a checksum. */
    public static Result run(Spillway sw, long buildRows, long probeRows) {
        try (DataFrame df = query(sw, buildRows, probeRows).collect()) {
            QueryProfile profile = sw.lastProfile();
            double sum = 0;
            long payload = 0;
            for (Morsel m : EngineInternals.morsels(df)) {
                Float64Vector amounts = (Float64Vector) m.column(1);
                Int64Vector bytes = (Int64Vector) m.column(2);
                for (int r = 0; r < m.rowCount(); r++) {
                    sum += amounts.get(r);
                    payload += bytes.get(r);
                }
            }
            return new Result(df.rowCount(), sum, payload, profile);
        }
    }

    /**
     * The expected result computed from the inputs' definition: every probe row matches exactly
     * one build row when {@code buildRows > 0}; groups are the keys hit, {@code min(buildRows,
     * probeRows)}; the sum of sums is {@code 0 + 1 + ... + (probeRows - 1)}.
     */
    public static Result expected(long buildRows, long probeRows) {
        if (buildRows <= 0 || probeRows <= 0) {
            return new Result(0, 0, 0, null);
        }
        // n (n - 1) / 2 in exact integer arithmetic; the engine's double sums are exact below 2^53.
        long n = probeRows;
        long triangle = n % 2 == 0 ? (n / 2) * (n - 1) : n * ((n - 1) / 2);
        double sum = triangle;
        return new Result(Math.min(buildRows, probeRows), sum, 64L * probeRows, null);
    }
}
