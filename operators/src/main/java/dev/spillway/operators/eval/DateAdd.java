package dev.spillway.operators.eval;

import dev.spillway.errors.ExprEvaluationException;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Int32Builder;
import dev.spillway.memory.Morsel;

/**
 * {@code date + interval}: first whole months (the day of month clamped to the length of the
 * target month, as SQL and {@link java.time.LocalDate#plusMonths} do: Jan 31 + 1 month is Feb 28
 * or 29), then days. A result outside the date32 range fails the query.
 *
 * @param input  the date32 operand
 * @param months months to add (years count 12); negative subtracts
 * @param days   days to add; negative subtracts
 */
record DateAdd(PhysicalExpr input, long months, long days) implements PhysicalExpr {

    @Override
    public DataType type() {
        return DataType.DATE32;
    }

    @Override
    public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
        int n = morsel.rowCount();
        try (ColumnVector v = input.evaluate(morsel, ctx);
             Int32Builder out = (Int32Builder) ColumnBuilder.create(DataType.DATE32, ctx.pool(), ctx.budget(), n)) {
            for (int i = 0; i < n; i++) {
                if (v.isNull(i)) {
                    out.appendNull();
                    continue;
                }
                long d = Values.longAt(v, i);
                if (months != 0) {
                    long total = Values.year(d) * 12L + (Values.month(d) - 1) + months;
                    long y = Math.floorDiv(total, 12);
                    int m = Math.floorMod(total, 12) + 1;
                    d = Values.epochDay(y, m, Math.min(Values.day(d), Values.lengthOfMonth(y, m)));
                }
                d += days;
                if (d != (int) d) {
                    throw new ExprEvaluationException("date out of range in " + this + " for "
                            + java.time.LocalDate.ofEpochDay(Values.longAt(v, i)));
                }
                out.append((int) d);
            }
            return out.build();
        }
    }

    @Override
    public String toString() {
        boolean minus = months <= 0 && days <= 0 && (months != 0 || days != 0);
        return "(" + input + (minus ? " - " : " + ") + (minus ? interval(-months, -days) : interval(months, days)) + ")";
    }

    /** The interval as text, e.g. {@code interval '1 year 3 months 2 days'}. */
    static String interval(long months, long days) {
        StringBuilder sb = new StringBuilder("interval '");
        long y = months / 12;
        long m = months % 12;
        if (y != 0) {
            sb.append(y).append(y == 1 ? " year" : " years");
        }
        if (m != 0) {
            sb.append(sb.length() > 10 ? " " : "").append(m).append(m == 1 ? " month" : " months");
        }
        if (days != 0 || (y == 0 && m == 0)) {
            sb.append(sb.length() > 10 ? " " : "").append(days).append(days == 1 ? " day" : " days");
        }
        return sb.append('\'').toString();
    }
}
