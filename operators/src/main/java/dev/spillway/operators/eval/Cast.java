package dev.spillway.operators.eval;

import dev.spillway.errors.ExprEvaluationException;

import dev.spillway.memory.BooleanBuilder;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.Decimal128Builder;
import dev.spillway.memory.Float64Builder;
import dev.spillway.memory.Int32Builder;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Utf8Builder;
import dev.spillway.memory.Utf8Vector;

import java.time.LocalDate;

/** Type conversion. */
record Cast(PhysicalExpr input, DataType to) implements PhysicalExpr {

    @Override
    public DataType type() {
        return to;
    }

    @Override
    public ColumnVector evaluate(Morsel morsel, EvalContext ctx) {
        int n = morsel.rowCount();
        DataType from = input.type();
        try (ColumnVector v = input.evaluate(morsel, ctx);
             ColumnBuilder out = ColumnBuilder.create(to, ctx.pool(), ctx.budget(), n)) {
            for (int i = 0; i < n; i++) {
                if (v.isNull(i)) {
                    out.appendNull();
                    continue;
                }
                if (from == DataType.UTF8) {
                    fromString(((Utf8Vector) v).getString(i), out);
                    continue;
                }
                switch (out) {
                    case Utf8Builder s -> s.append(v.format(i));
                    case Float64Builder f -> f.append(from == DataType.BOOLEAN ? Values.longAt(v, i) : Values.doubleAt(v, i));
                    case Int64Builder l -> l.append(from == DataType.FLOAT64 ? toLong(Values.doubleAt(v, i)) : Values.longAt(v, i));
                    case Int32Builder x -> x.append(from == DataType.FLOAT64 ? (int) toLong(Values.doubleAt(v, i))
                            : (int) Values.longAt(v, i));
                    case BooleanBuilder b -> b.append(from == DataType.FLOAT64 ? Values.doubleAt(v, i) != 0
                            : Values.longAt(v, i) != 0);
                    case Decimal128Builder d -> throw new IllegalStateException("decimal casts are DecimalCast's");
                }
            }
            return out.build();
        }
    }

    private long toLong(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            throw new ExprEvaluationException("cannot cast " + d + " to " + to.displayName() + " in " + this);
        }
        return (long) d;
    }

    private void fromString(String s, ColumnBuilder out) {
        String t = s.strip();
        try {
            switch (out) {
                case Int32Builder x when to == DataType.DATE32 -> x.append((int) LocalDate.parse(t).toEpochDay());
                case Int32Builder x -> x.append(Integer.parseInt(t));
                case Int64Builder l -> l.append(Long.parseLong(t));
                case Float64Builder f -> f.append(Double.parseDouble(t));
                case BooleanBuilder b -> {
                    if (t.equalsIgnoreCase("true")) {
                        b.append(true);
                    } else if (t.equalsIgnoreCase("false")) {
                        b.append(false);
                    } else {
                        throw new IllegalArgumentException();
                    }
                }
                case Utf8Builder u -> u.append(s);
                case Decimal128Builder d -> throw new IllegalStateException("decimal casts are DecimalCast's");
            }
        } catch (RuntimeException e) {
            throw new ExprEvaluationException("cannot cast '" + s + "' to " + to.displayName() + " in " + this
                    + (to == DataType.DATE32 ? " (expected yyyy-MM-dd)" : to == DataType.BOOLEAN ? " (expected true or false)" : ""));
        }
    }

    @Override
    public String toString() {
        return input + ".cast(" + to.displayName() + ")";
    }
}
