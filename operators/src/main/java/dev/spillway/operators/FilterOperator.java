package dev.spillway.operators;

import dev.spillway.memory.BooleanVector;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Morsel;
import dev.spillway.operators.eval.EvalContext;
import dev.spillway.operators.eval.PhysicalExpr;
import dev.spillway.scheduler.Operator;
import dev.spillway.scheduler.TaskContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Keeps the rows whose predicate is true (null counts as false). When every row survives the
 * input's columns pass on zero-copy; when none does, an empty zero-copy slice keeps the morsel's
 * sequence number; otherwise the surviving rows are gathered into new columns.
 */
public final class FilterOperator implements Operator {
    /**
     * Each thread's selection vector, shared by every filter of the process (a filter uses it only
     * within one call), so that neither a morsel nor a query allocates one; it grows to the largest
     * morsel the thread filtered.
     */
    private static final ThreadLocal<int[]> SELECTION = ThreadLocal.withInitial(() -> new int[0]);
    private final PhysicalExpr predicate;
    private final EvalContext eval;

    /**
     * Creates the operator.
     *
     * @throws IllegalArgumentException unless the predicate is boolean
     */
    public FilterOperator(PhysicalExpr predicate, EvalContext eval) {
        if (predicate.type() != DataType.BOOLEAN) {
            throw new IllegalArgumentException("filter predicate " + predicate + " is " + predicate.type().displayName()
                    + ", not boolean");
        }
        this.predicate = predicate;
        this.eval = eval;
    }

    @Override
    public String name() {
        return "filter " + predicate;
    }

    @Override
    public Morsel process(Morsel input, TaskContext ctx) {
        return apply(input);
    }

    /** Filters {@code input}, which this method closes; the caller owns the result. */
    public Morsel apply(Morsel input) {
        try (input; ColumnVector mv = predicate.evaluate(input, eval)) {
            BooleanVector mask = (BooleanVector) mv;
            int n = input.rowCount();
            int[] selected = selection(n);
            int kept = 0;
            for (int i = 0; i < n; i++) {
                if (!mask.isNull(i) && mask.get(i)) {
                    selected[kept++] = i;
                }
            }
            if (kept == n) {
                return input.withSequence(input.sequence());
            }
            if (kept == 0) {
                return input.slice(0, 0);
            }
            List<ColumnVector> out = new ArrayList<>(input.columnCount());
            try {
                for (int c = 0; c < input.columnCount(); c++) {
                    ColumnVector src = input.column(c);
                    try (ColumnBuilder b = ColumnBuilder.create(src, eval.pool(), eval.budget(), kept)) {
                        b.appendGather(new ColumnVector[] {src}, null, selected, kept);
                        out.add(b.build());
                    }
                }
            } catch (RuntimeException e) {
                out.forEach(ColumnVector::close);
                throw e;
            }
            return new Morsel(input.schema(), out, kept, input.sequence());
        }
    }

    /** This thread's selection vector, grown to {@code n} rows. */
    private static int[] selection(int n) {
        int[] s = SELECTION.get();
        if (s.length < n) {
            s = new int[n];
            SELECTION.set(s);
        }
        return s;
    }

    @Override
    public String toString() {
        return name();
    }
}
