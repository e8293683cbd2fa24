package dev.spillway.operators.groupby.function;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.memory.Morsel;
import dev.spillway.expr.Aggregate;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * An aggregate function of a group-by, as the table that maps rows to group ids drives it.
 *
 * <p>The function keeps its per-group partial state in the state columns it declares
 * ({@link #stateTypes}): the table stores them as {@link GroupColumn}s indexed by group id, sizes
 * them as groups are added (each new group starts as {@link StateType} says), and flushes and
 * spills them verbatim as the state columns of partial rows. The function itself is stateless and
 * shared; every call gets the state columns of one table. Each call covers a batch of rows
 * {@code [from, to)} with the group id of every row in {@code groups} (native int32s,
 * {@link GroupColumn#INT}, row {@code r}'s at index {@code r}), so the per-row loop runs inside
 * the function, on the columns' native segments, with no virtual call per row.
 *
 * <p>Partial states must be mergeable in any order and grouping ({@link #merge} after any mix of
 * {@link #update}s, flushes and spills gives what one {@code update} over all rows would), because
 * pre-aggregation tables flush at arbitrary points and partitions spill whole.
 *
 * <p><b>Variable-size state.</b> A state need not be one fixed-width value per group: a
 * {@link DataType#UTF8} state column holds one variable-size byte entry per group in the table's
 * {@link ByteLog} (charged to the operator's budget, freed with the table, spilled as a string
 * column), written with {@link GroupColumn#store} or {@link GroupColumn#storeBytes} and read
 * through {@link GroupColumn#bytes}; the partial row carries the bytes as they are, so the
 * entry may be any encoding. An exact quantile keeps an encoded list of values there,
 * {@code string_agg} its joined string; {@link #merge} decodes and combines the entries of
 * partial rows. The log keeps replaced entries until the table is reset (a pre-aggregation table
 * at every flush), so a function whose entry grows row by row should rewrite it once per group
 * per batch, not once per row.
 *
 * <p>A function is added by implementing this interface (or {@link DistinctFunction}) in one
 * class and exposing it through an {@code Expr} method; nothing else enumerates functions.
 * Implementations must be immutable; plans compare them with {@code equals}.
 */
public interface AggregateFunction {
    /** Lower-case name used in plans and messages, e.g. {@code n_unique}. */
    String name();

    /** Whether the function reads an input column ({@code len} does not; it then gets a null input type and column). */
    default boolean hasInput() {
        return true;
    }

    /**
     * The result type for an input of {@code input}.
     *
     * @throws IllegalArgumentException naming the function and the input types it takes, when it
     *                                  does not apply to {@code input}
     */
    DataType resultType(DataType input);

    /**
     * The precision and scale of the result when {@link #resultType} is {@link DataType#DECIMAL128},
     * else null. {@link DataType} is only the storage kind, so this is how a decimal result's type
     * reaches the plan's schema.
     *
     * @param input the input's precision and scale (null unless the input is a decimal)
     */
    DecimalType resultDecimal(DecimalType input);

    /**
     * The partial-state columns for an input of {@code input} (already validated by
     * {@link #resultType}); {@code decimal} is the input's precision and scale, null unless the
     * input is a decimal.
     */
    List<StateType> stateTypes(DataType input, DecimalType decimal);

    /**
     * Folds input rows {@code [from, to)} into the states of their groups.
     *
     * @param state       this function's state columns, in {@link #stateTypes} order
     * @param input       the input column (null when the function has no input)
     * @param groups      the group id of every row (int32s, valid at {@code [from, to)})
     * @param ordinalBase the input position of row 0; row {@code r} is at {@code ordinalBase + r}
     *                    (positions grow in input order, for order-sensitive functions)
     */
    void update(GroupColumn[] state, ColumnVector input, MemorySegment groups, int from, int to, long ordinalBase);

    /**
     * Merges partial-state rows {@code [from, to)} into the states of their groups.
     *
     * @param partials    partial rows; this function's state columns are {@code firstColumn ..} in
     *                    {@link #stateTypes} order
     * @param groups      the group id of every row (int32s, valid at {@code [from, to)})
     */
    void merge(GroupColumn[] state, Morsel partials, int firstColumn, MemorySegment groups, int from, int to);

    /**
     * Appends the result of groups {@code [from, to)}, in order, to {@code out} (a builder of the
     * {@link #resultType}). A group no row reached (the one group of a global aggregation over no
     * input) is in its starting state.
     *
     * @throws ArithmeticException when a result does not fit its type (a decimal sum beyond 38
     *                             digits); {@link #update} and {@link #merge} throw it too when a
     *                             state leaves its range. The table adds which aggregate it was.
     */
    void finish(GroupColumn[] state, int from, int to, ColumnBuilder out);

    /** The implementation of a public aggregate. */
    static AggregateFunction of(Aggregate aggregate) {
        return switch (aggregate) {
            case ROW_COUNT -> Len.INSTANCE;
            case SUM -> Sum.INSTANCE;
            case COUNT -> Count.INSTANCE;
            case MIN -> Extreme.MIN;
            case MAX -> Extreme.MAX;
            case MEAN -> Mean.INSTANCE;
            case FIRST -> Positional.FIRST;
            case LAST -> Positional.LAST;
            case N_UNIQUE -> NUnique.INSTANCE;
        };
    }
}
