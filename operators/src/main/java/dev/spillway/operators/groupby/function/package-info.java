/**
 * The aggregate functions of the group-by, one class per function or per pair of functions that
 * differ only in a direction ({@code min}/{@code max}, {@code first}/{@code last}), behind
 * {@link dev.spillway.operators.groupby.function.AggregateFunction}.
 *
 * <p>A function owns the semantics (result type, which inputs it takes, null handling, how
 * partial states combine); the group-by table owns the mapping from rows to group ids and the
 * storage of the states ({@link dev.spillway.operators.groupby.function.GroupColumn}, primitive
 * arrays indexed by group id, strings in a budget-charged
 * {@link dev.spillway.operators.groupby.function.ByteLog}). The table calls a function once per
 * batch with the group id of every row, so the per-row loop is the function's own, over arrays,
 * without a virtual call per row. Functions are stateless singletons ({@code Sum.INSTANCE},
 * {@code Extreme.MIN}, ...) that the engine's {@code Expr} methods name directly: no enum or
 * switch lists them, and a function that leaves out a method does not compile. Shared loops
 * (sums, counters, extremes, first/last by input position) live in a package-private helper.
 */
package dev.spillway.operators.groupby.function;
