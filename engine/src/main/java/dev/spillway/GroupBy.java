package dev.spillway;

import dev.spillway.plan.GroupByNode;

import java.util.Arrays;
import java.util.List;

/**
 * A frame grouped by key expressions, waiting for its aggregates:
 * {@code frame.groupBy("customer_id").agg(col("amount").sum(), Expr.rowCount())}.
 */
public final class GroupBy {
    private final LazyFrame frame;
    private final List<Expr> keys;

    GroupBy(LazyFrame frame, List<Expr> keys) {
        this.frame = frame;
        this.keys = List.copyOf(keys);
    }

    /**
     * One row per group: the keys, then one column per aggregate ({@code col("x").sum()},
     * {@code .count()}, {@code Expr.rowCount()}, {@code .min()}, {@code .max()}, {@code .mean()},
     * {@code .first()}, {@code .last()}, {@code .nUnique()}, each optionally {@code .alias(..)}).
     * Groups come out in no particular order. The aggregation spills under memory pressure.
     *
     * @throws dev.spillway.errors.PlanException for a non-aggregate, an unknown column or a type an
     *                                         aggregate does not take
     */
    public LazyFrame agg(Expr... aggs) {
        return frame.derive(new GroupByNode(frame.logicalPlan(), keys, Arrays.asList(aggs)));
    }
}
