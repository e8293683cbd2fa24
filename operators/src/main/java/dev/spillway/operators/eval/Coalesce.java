package dev.spillway.operators.eval;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.memory.Morsel;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The first non-null of several values of one type (null when all are null). An operand is only
 * evaluated while some row is still null after the ones before it.
 */
record Coalesce(List<PhysicalExpr> inputs, DataType type) implements PhysicalExpr {

    /** Every value was cast to the result type: a decimal result has the values' precision and scale. */
    @Override
    public DecimalType decimalType() {
        return inputs.get(0).decimalType();
    }

    /** Every value was cast to the result type: a timestamp result has the values' time zone. */
    @Override
    public String timeZone() {
        return inputs.get(0).timeZone();
    }

    @Override
    public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
        int n = morsel.rowCount();
        List<ColumnVector> vals = new ArrayList<>(inputs.size());
        try (ColumnBuilder out = ColumnBuilder.create(type, decimalType(), timeZone(), ctx.pool(), ctx.budget(), n)) {
            ColumnVector first = inputs.get(0).evaluate(morsel, ctx);
            vals.add(first);
            if (!first.hasNulls()) {
                vals.clear();
                return first;
            }
            int open = first.nullCount();
            for (int j = 1; j < inputs.size() && open > 0; j++) {
                vals.add(inputs.get(j).evaluate(morsel, ctx));
                open = 0;
                for (int i = 0; i < n; i++) {
                    if (allNull(vals, i)) {
                        open++;
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                int pick = -1;
                for (int j = 0; j < vals.size(); j++) {
                    if (!vals.get(j).isNull(i)) {
                        pick = j;
                        break;
                    }
                }
                if (pick < 0) {
                    out.appendNull();
                } else {
                    out.appendFrom(vals.get(pick), i);
                }
            }
            return out.build();
        } finally {
            vals.forEach(ColumnVector::close);
        }
    }

    private static boolean allNull(List<ColumnVector> vals, int row) {
        for (ColumnVector v : vals) {
            if (!v.isNull(row)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return inputs.stream().map(Object::toString).collect(Collectors.joining(", ", "coalesce(", ")"));
    }
}
