/**
 * The aggregate functions of the group-by, one class per function or per pair of functions that
 * differ only in a direction ({@code min}/{@code max}, {@code first}/{@code last}), behind
 * {@link dev.spillway.operators.groupby.function.AggregateFunction}.
 *
 * <p>A function owns the semantics (result type, which inputs it takes, null handling, how
 * partial states combine); the group-by table owns the mapping from rows to group ids and the
 * storage of the states ({@link dev.spillway.operators.groupby.function.GroupColumn}, native
 * buffers from the engine's block pool indexed by group id and charged to the operator's budget,
 * strings in a {@link dev.spillway.operators.groupby.function.ByteLog} of the same kind). The
 * table calls a function once per batch with the group id of every row (a native int32 array),
 * so the per-row loop is the function's own, over segments it fetched once for the batch,
 * without a virtual call per row. Functions are stateless singletons ({@code Sum.INSTANCE},
 * {@code Extreme.MIN}, ...) that the engine's {@code Expr} methods name directly: no enum or
 * switch lists them, and a function that leaves out a method does not compile. Shared loops
 * (sums, counters, extremes, first/last by input position) live in a package-private helper.
 */
package dev.spillway.operators.groupby.function;
