/**
 * The spillable partitioned hash aggregation (group-by, global aggregates, distinct).
 *
 * <p>Workers pre-aggregate into small fixed-size tables ({@link dev.spillway.operators.groupby.AggTable})
 * whose partial states are flushed into 256 radix partitions (top 8 bits of the group keys' hash)
 * as column-wise morsels; the memory manager spills whole partitions of partial states to disk;
 * at the end each partition merges its in-memory and spilled partial rows and streams its groups
 * out, one bounded morsel at a time ({@link dev.spillway.operators.groupby.HashAggregation}).
 *
 * <p>The table only maps rows to group ids and stores keys and states; the aggregate functions
 * (sum, count, len, min, max, mean, first, last, n_unique) are classes of the
 * {@link dev.spillway.operators.groupby.function} package behind
 * {@link dev.spillway.operators.groupby.function.AggregateFunction}, each declaring its result
 * type and partial-state columns and updating, merging and finishing its states a batch at a
 * time. Partial states are mergeable (sum, count, min, max, mean as sum and count, first/last with
 * their input position), so flushing, spilling and merging in any order gives the same result;
 * {@code n_unique} (a {@link dev.spillway.operators.groupby.function.DistinctFunction}) stays
 * exact by carrying each distinct (keys, value) pair as its own partial row.
 */
package dev.spillway.operators.groupby;
