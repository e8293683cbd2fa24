package dev.spillway.operators.eval;

import dev.spillway.errors.ExprEvaluationException;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Timestamps;

import java.time.ZoneId;

/**
 * {@code timestamp + interval}: whole months (the day of month clamped to the end of a shorter
 * month: Jan 31 + 1 month is Feb 28 or 29) and then days on the wall clock (so that in a zoned
 * column "+ 1 day" keeps the time of day across a daylight-saving change), then {@code micros}
 * exactly. A result outside the int64 microsecond range fails the query.
 *
 * @param input  the timestamp operand
 * @param months months to add; negative subtracts
 * @param days   days to add; negative subtracts
 * @param micros microseconds to add; negative subtracts
 */
record TimestampAdd(PhysicalExpr input, long months, long days, long micros) implements PhysicalExpr {

    @Override
    public DataType type() {
        return DataType.TIMESTAMP;
    }

    @Override
    public String timeZone() {
        return input.timeZone();
    }

    @Override
    public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
        int n = morsel.rowCount();
        ZoneId zone = Timestamps.zoneOrNull(input.timeZone());
        try (ColumnVector v = input.evaluate(morsel, ctx);
             Int64Builder out = (Int64Builder) ColumnBuilder.create(DataType.TIMESTAMP, null, input.timeZone(), ctx.pool(),
                     ctx.budget(), n)) {
            Int64Vector t = (Int64Vector) v;
            for (int i = 0; i < n; i++) {
                if (v.isNull(i)) {
                    out.appendNull();
                    continue;
                }
                try {
                    long x = t.get(i);
                    if (months != 0 || days != 0) {
                        // Months and days move the wall clock; it is resolved in the zone once, after both.
                        long local = Timestamps.plusMonthsLocal(Timestamps.toLocal(x, zone), months);
                        local = Math.addExact(local, Math.multiplyExact(days, Timestamps.MICROS_PER_DAY));
                        x = Timestamps.fromLocal(local, zone);
                    }
                    out.append(Math.addExact(x, micros));
                } catch (ArithmeticException | java.time.DateTimeException e) {
                    throw new ExprEvaluationException("timestamp out of range in " + this + " for " + v.format(i));
                }
            }
            return out.build();
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("(").append(input);
        if (months != 0 || days != 0) {
            sb.append(" + ").append(DateAdd.interval(months, days));
        }
        if (micros != 0 || (months == 0 && days == 0)) {
            sb.append(" + duration(").append(java.time.Duration.of(micros, java.time.temporal.ChronoUnit.MICROS)).append(')');
        }
        return sb.append(')').toString();
    }
}
