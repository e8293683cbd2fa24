package dev.spillway.operators.eval;

import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.memory.Morsel;

/**
 * A type-checked expression evaluated a whole column at a time over native memory. Immutable
 * and thread-safe; built by {@link PhysicalExprs}.
 */
public interface PhysicalExpr {
    /** The result type. */
    DataType type();

    /** The precision and scale when {@link #type()} is {@link DataType#DECIMAL128}; null otherwise. */
    default DecimalType decimalType() {
        return null;
    }

    /** The time zone when {@link #type()} is a {@link DataType#TIMESTAMP} with one; null otherwise. */
    default String timeZone() {
        return null;
    }

    /**
     * Evaluates over every row of {@code input}.
     *
     * @return a new vector of {@code input.rowCount()} rows owned by the caller (a column
     *         reference returns a zero-copy view)
     */
    ColumnVector evaluate(Morsel input, EvalContext ctx);

    /** A readable rendering, e.g. {@code (col("amount") > 100.0)}. */
    @Override
    String toString();
}
