package dev.spillway.operators.eval;

import dev.spillway.memory.BooleanVector;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.memory.Morsel;

import java.util.ArrayList;
import java.util.List;

/** Conditional value. */
record When(List<PhysicalExpr> conditions, List<PhysicalExpr> values, PhysicalExpr otherwise, DataType type)
        implements PhysicalExpr {

    /** Every value was cast to the result type: a decimal result has the values' precision and scale. */
    @Override
    public DecimalType decimalType() {
        return otherwise.decimalType();
    }

    /** Every value was cast to the result type: a timestamp result has the values' time zone. */
    @Override
    public String timeZone() {
        return otherwise.timeZone();
    }

    @Override
    public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
        int n = morsel.rowCount();
        int k = conditions.size();
        List<ColumnVector> conds = new ArrayList<>(k);
        List<ColumnVector> vals = new ArrayList<>(k + 1);
        try (ColumnBuilder out = ColumnBuilder.create(type, decimalType(), timeZone(), ctx.pool(), ctx.budget(), n)) {
            for (int j = 0; j < k; j++) {
                conds.add(conditions.get(j).evaluate(morsel, ctx));
                vals.add(values.get(j).evaluate(morsel, ctx));
            }
            vals.add(otherwise.evaluate(morsel, ctx));
            for (int i = 0; i < n; i++) {
                int pick = k;
                for (int j = 0; j < k; j++) {
                    BooleanVector c = (BooleanVector) conds.get(j);
                    if (!c.isNull(i) && c.get(i)) {
                        pick = j;
                        break;
                    }
                }
                out.appendFrom(vals.get(pick), i);
            }
            return out.build();
        } finally {
            conds.forEach(ColumnVector::close);
            vals.forEach(ColumnVector::close);
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < conditions.size(); j++) {
            sb.append(j == 0 ? "PhysicalExprs.when(" : ".when(").append(conditions.get(j)).append(").then(").append(values.get(j))
                    .append(')');
        }
        return sb.append(".otherwise(").append(otherwise).append(')').toString();
    }
}
