package dev.spillway.operators.eval;

import dev.spillway.expr.UnaryOp;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Int32Builder;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Timestamps;

import java.time.ZoneId;

/**
 * A calendar or clock field of a timestamp (year, month, day, hour, minute, whole second) read on
 * the wall clock: the naive value itself, or a zoned instant shifted into its zone.
 */
record TimestampPart(UnaryOp op, PhysicalExpr input) implements PhysicalExpr {

    @Override
    public DataType type() {
        return DataType.INT32;
    }

    @Override
    public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
        int n = morsel.rowCount();
        ZoneId zone = Timestamps.zoneOrNull(input.timeZone());
        try (ColumnVector v = input.evaluate(morsel, ctx);
             Int32Builder out = (Int32Builder) ColumnBuilder.create(DataType.INT32, ctx.pool(), ctx.budget(), n)) {
            Int64Vector t = (Int64Vector) v;
            for (int i = 0; i < n; i++) {
                if (v.isNull(i)) {
                    out.appendNull();
                    continue;
                }
                long local = Timestamps.toLocal(t.get(i), zone);
                long days = Math.floorDiv(local, Timestamps.MICROS_PER_DAY);
                long seconds = Math.floorMod(local, Timestamps.MICROS_PER_DAY) / Timestamps.MICROS_PER_SECOND;
                out.append(switch (op) {
                    case YEAR -> Values.year(days);
                    case MONTH -> Values.month(days);
                    case DAY -> Values.day(days);
                    case HOUR -> (int) (seconds / 3600);
                    case MINUTE -> (int) (seconds / 60 % 60);
                    case SECOND -> (int) (seconds % 60);
                    default -> throw new IllegalStateException(op + " is not a timestamp field");
                });
            }
            return out.build();
        }
    }

    @Override
    public String toString() {
        return input + "." + op.name().toLowerCase(java.util.Locale.ROOT) + "()";
    }
}
