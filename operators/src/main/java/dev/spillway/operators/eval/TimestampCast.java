package dev.spillway.operators.eval;

import dev.spillway.errors.ExprEvaluationException;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Int32Builder;
import dev.spillway.memory.Int32Vector;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Timestamps;
import dev.spillway.memory.Utf8Builder;
import dev.spillway.memory.Utf8Vector;

import java.time.ZoneId;

/**
 * Conversions to and from {@link DataType#TIMESTAMP}:
 * <ul>
 *   <li>utf8 to timestamp parses {@link Timestamps#FORMS}; timestamp to utf8 prints the same form
 *       (with the offset in force for a zoned value);</li>
 *   <li>date32 to timestamp is midnight (in the target zone for a zoned one); timestamp to date32
 *       is the date of the wall clock;</li>
 *   <li>int64 to and from timestamp is the microsecond count itself;</li>
 *   <li>between timestamps: naive to zoned reads the naive value as wall-clock time in the target
 *       zone, zoned to naive takes its wall clock, zoned to zoned keeps the instant.</li>
 * </ul>
 *
 * @param input the operand
 * @param to    the result type
 * @param zone  the result's time zone when {@code to} is TIMESTAMP (null for naive); else null
 */
record TimestampCast(PhysicalExpr input, DataType to, String zone) implements PhysicalExpr {

    @Override
    public DataType type() {
        return to;
    }

    @Override
    public String timeZone() {
        return zone;
    }

    @Override
    public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
        int n = morsel.rowCount();
        DataType from = input.type();
        ZoneId fromZone = Timestamps.zoneOrNull(input.timeZone());
        ZoneId toZone = Timestamps.zoneOrNull(zone);
        try (ColumnVector v = input.evaluate(morsel, ctx);
             ColumnBuilder out = ColumnBuilder.create(to, null, zone, ctx.pool(), ctx.budget(), n)) {
            long[] parsed = new long[1];
            for (int i = 0; i < n; i++) {
                if (v.isNull(i)) {
                    out.appendNull();
                    continue;
                }
                if (to == DataType.TIMESTAMP) {
                    long micros = switch (from) {
                        case UTF8 -> parse((Utf8Vector) v, i, toZone, parsed);
                        case DATE32 -> Timestamps.fromLocal(((Int32Vector) v).get(i) * Timestamps.MICROS_PER_DAY, toZone);
                        case TIMESTAMP -> {
                            long x = ((Int64Vector) v).get(i);
                            yield fromZone == null ? Timestamps.fromLocal(x, toZone)
                                    : toZone == null ? Timestamps.toLocal(x, fromZone) : x;
                        }
                        default -> ((Int64Vector) v).get(i);
                    };
                    ((Int64Builder) out).append(micros);
                    continue;
                }
                long x = ((Int64Vector) v).get(i);
                switch (out) {
                    case Utf8Builder s -> s.append(Timestamps.format(x, fromZone));
                    case Int64Builder l -> l.append(x);
                    case Int32Builder d -> {
                        long day = Math.floorDiv(Timestamps.toLocal(x, fromZone), Timestamps.MICROS_PER_DAY);
                        if (day != (int) day) {
                            throw new ExprEvaluationException("date out of range in " + this + " for " + v.format(i));
                        }
                        d.append((int) day);
                    }
                    default -> throw new IllegalStateException("no timestamp cast to " + to.displayName());
                }
            }
            return out.build();
        }
    }

    private long parse(Utf8Vector v, int row, ZoneId toZone, long[] out) {
        int status = Timestamps.parse(v.dataSegment(), v.dataOffset(row), v.dataOffset(row) + v.byteLength(row), toZone, out);
        if (status == Timestamps.OK) {
            return out[0];
        }
        String text = v.getString(row);
        try {
            return Timestamps.parse(text, toZone);
        } catch (IllegalArgumentException e) {
            throw new ExprEvaluationException("cannot cast '" + text + "' to " + typeName() + " in " + this + ": "
                    + e.getMessage());
        }
    }

    private String typeName() {
        return dev.spillway.types.Field.typeName(to, null, zone);
    }

    @Override
    public String toString() {
        return input + ".cast(" + typeName() + ")";
    }
}
