package dev.spillway.operators.groupby;

import dev.spillway.memory.DataType;

/**
 * The aggregate functions of a group-by, with their result types and partial states.
 *
 * <p>Every aggregate but {@link #LEN} skips null inputs, as SQL does. {@link #FIRST} and
 * {@link #LAST} take the value of the first or last row of the group in input order (a null value
 * included), as Polars and DuckDB do.
 */
public enum AggKind {
    /** Sum of the non-null values; int32/int64 give int64, float64 gives float64; null when none. */
    SUM("sum"),
    /** Number of non-null values (int64). */
    COUNT("count"),
    /** Number of rows, nulls included (int64). */
    LEN("len"),
    /** Smallest non-null value (same type); null when none. */
    MIN("min"),
    /** Largest non-null value (same type); null when none. */
    MAX("max"),
    /** Arithmetic mean of the non-null values (float64); null when none. */
    MEAN("mean"),
    /** Value of the group's first row in input order. */
    FIRST("first"),
    /** Value of the group's last row in input order. */
    LAST("last"),
    /** Exact number of distinct non-null values (int64). */
    N_UNIQUE("n_unique");

    private final String displayName;

    AggKind(String displayName) {
        this.displayName = displayName;
    }

    /** Lower-case name used in plans, e.g. {@code n_unique}. */
    public String displayName() {
        return displayName;
    }

    /** Whether the aggregate reads an input column ({@link #LEN} does not). */
    public boolean hasInput() {
        return this != LEN;
    }

    /**
     * The result type for an input of {@code input}.
     *
     * @throws IllegalArgumentException when the aggregate does not apply to that type
     */
    public DataType resultType(DataType input) {
        return switch (this) {
            case SUM -> numeric(input) == DataType.FLOAT64 ? DataType.FLOAT64 : DataType.INT64;
            case MEAN -> {
                numeric(input);
                yield DataType.FLOAT64;
            }
            case COUNT, LEN, N_UNIQUE -> DataType.INT64;
            case MIN, MAX, FIRST, LAST -> input;
        };
    }

    private DataType numeric(DataType input) {
        if (input == null || !input.isNumeric()) {
            throw new IllegalArgumentException(displayName + "() needs an int32, int64 or float64 input, not "
                    + (input == null ? "none" : input.displayName()));
        }
        return input;
    }

    /** Types of this aggregate's partial state columns for an input of {@code input}. */
    DataType[] stateTypes(DataType input) {
        return switch (this) {
            case SUM -> new DataType[] {resultType(input)};
            case COUNT, LEN, N_UNIQUE -> new DataType[] {DataType.INT64};
            case MIN, MAX -> new DataType[] {input};
            case MEAN -> new DataType[] {input == DataType.FLOAT64 ? DataType.FLOAT64 : DataType.INT64, DataType.INT64};
            case FIRST, LAST -> new DataType[] {input, DataType.INT64};
        };
    }
}
