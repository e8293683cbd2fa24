package dev.spillway.plan;

import dev.spillway.Expr;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import dev.spillway.options.CsvOptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

class OptimizerTest {
    private static final Schema ORDERS = Schema.of(Field.of("order_id", DataType.INT64), Field.of("customer", DataType.UTF8),
            Field.of("amount", DataType.FLOAT64), Field.of("day", DataType.DATE32));

    private static CsvScanNode scan() {
        return new CsvScanNode(List.of(Path.of("orders.csv")), CsvOptions.defaults(), ORDERS, null);
    }

    @Test
    void projectionIsPushedIntoTheScan() {
        LogicalPlan p = new ProjectNode(new FilterNode(scan(), col("amount").gt(lit(100.0))), List.of(col("order_id")));
        LogicalPlan o = Optimizer.optimize(p);
        assertEquals("""
                SELECT [col("order_id")]
                  FILTER (col("amount") > 100.0)
                    SCAN CSV orders.csv columns=order_id,amount
                """, LogicalPlan.format(o));
    }

    @Test
    void predicateMovesBelowAProjectionWithTheExpressionInlined() {
        LogicalPlan p = new FilterNode(new ProjectNode(scan(), List.of(col("order_id"),
                col("amount").times(lit(1.2)).alias("gross"))), col("gross").gt(lit(120.0)));
        LogicalPlan o = Optimizer.optimize(p);
        ProjectNode top = assertInstanceOf(ProjectNode.class, o);
        FilterNode f = assertInstanceOf(FilterNode.class, top.input());
        assertEquals("((col(\"amount\") * 1.2) > 120.0)", f.predicate().toString());
        CsvScanNode s = assertInstanceOf(CsvScanNode.class, f.input());
        assertEquals(List.of("order_id", "amount"), s.projection());
        assertEquals(List.of("order_id", "gross"), o.schema().names());
    }

    @Test
    void filtersMergeAndNeverCrossASlice() {
        LogicalPlan p = new FilterNode(new SliceNode(new FilterNode(new FilterNode(scan(), col("amount").gt(lit(1.0))),
                col("order_id").lt(lit(10L))), 0, 5), col("customer").isNotNull());
        LogicalPlan o = Optimizer.optimize(p);
        assertEquals("""
                FILTER col("customer").is_not_null()
                  SLICE offset=0 length=5
                    FILTER ((col("amount") > 1.0) & (col("order_id") < 10))
                      SCAN CSV orders.csv columns=*
                """, LogicalPlan.format(o));
    }

    @Test
    void constantsFoldAndTrueFiltersDisappear() {
        LogicalPlan p = new ProjectNode(new FilterNode(scan(), lit(1L).plus(lit(2L)).lt(lit(5L))),
                List.of(col("amount").times(lit(2.0).plus(lit(0.5))).alias("x"), lit(3).times(lit(4))));
        LogicalPlan o = Optimizer.optimize(p);
        assertEquals("""
                SELECT [(col("amount") * 2.5).alias("x"), 12]
                  SCAN CSV orders.csv columns=amount
                """, LogicalPlan.format(o));
        assertEquals(List.of("x", "literal"), o.schema().names());
    }

    @Test
    void unionBranchesKeepIdenticalColumns() {
        LogicalPlan p = new ProjectNode(new FilterNode(new UnionNode(List.of(scan(), scan())), col("amount").gt(lit(0.0))),
                List.of(col("customer")));
        LogicalPlan o = Optimizer.optimize(p);
        UnionNode u = assertInstanceOf(UnionNode.class, assertInstanceOf(ProjectNode.class, o).input());
        for (LogicalPlan branch : u.inputs()) {
            // The filter went into each branch; each branch then narrows to exactly the union's columns.
            ProjectNode narrow = assertInstanceOf(ProjectNode.class, branch);
            assertEquals(List.of("customer"), narrow.schema().names());
            FilterNode f = assertInstanceOf(FilterNode.class, narrow.input());
            assertEquals(List.of("customer", "amount"), f.schema().names());
        }
    }

    @Test
    void aColumnSelectionMergesIntoTheProjectionBelow() {
        LogicalPlan withColumns = new ProjectNode(scan(), List.of(col("order_id"), col("customer"), col("amount"), col("day"),
                col("amount").times(lit(1.2)).alias("gross")));
        LogicalPlan p = new ProjectNode(withColumns, List.of(col("gross").alias("g"), col("order_id")));
        assertEquals("""
                SELECT [(col("amount") * 1.2).alias("g"), col("order_id")]
                  SCAN CSV orders.csv columns=order_id,amount
                """, LogicalPlan.format(Optimizer.optimize(p)));
    }

    @Test
    void nothingToPruneAtTheRoot() {
        CsvScanNode s = assertInstanceOf(CsvScanNode.class, Optimizer.optimize(scan()));
        assertNull(s.projection());
        Expr folded = Optimizer.fold(col("a").plus(lit(1L).plus(lit(1L))));
        assertEquals("(col(\"a\") + 2)", folded.toString());
    }
}
