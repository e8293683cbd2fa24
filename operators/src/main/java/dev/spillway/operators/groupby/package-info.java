/**
 * The spillable partitioned hash aggregation (group-by, global aggregates, distinct), in phases
 * over the shared partitioned store ({@link dev.spillway.spill.PartitionedStore}).
 *
 * <ul>
 *   <li><b>Pre-aggregation</b> ({@link dev.spillway.operators.groupby.PreAggregation}): workers
 *       pre-aggregate into small fixed-size tables ({@link dev.spillway.operators.groupby.AggTable})
 *       whose partial states are flushed into the store's 256 radix partitions (top 8 bits of the
 *       group keys' hash); the store spills the largest partitions under memory pressure, and a
 *       forced-spill share of them at the end of the input.</li>
 *   <li><b>Partition merge</b> ({@link dev.spillway.operators.groupby.PartitionMerge}): one
 *       {@link dev.spillway.operators.FinalizeQueue} unit per partition with rows, claimed by
 *       every puller of the source ({@link dev.spillway.operators.groupby.GroupBySource}); each
 *       merges its partition's in-memory and spilled partial rows into one table and streams its
 *       groups out one bounded morsel at a time, so partitions merge in parallel. A partition whose
 *       merge could outgrow its memory share is first split on the next hash bits into a child
 *       store whose sub-partitions queue ahead of the others.</li>
 *   <li><b>The n_unique fold</b> ({@link dev.spillway.operators.groupby.DistinctFold}): with
 *       n_unique, partitions are chosen on the extended key; each merged partition is folded back
 *       to the group keys and fed to a second-level aggregation, whose own partitions join the
 *       queue once the last first-level partition was folded.</li>
 * </ul>
 * {@link dev.spillway.operators.groupby.HashAggregation} owns the store and the queue and moves
 * from one phase to the next.
 *
 * <p>The table only maps rows to group ids (its {@link dev.spillway.operators.groupby.GroupKeys}:
 * key hashing, probing, insertion, growth) and stores keys and states; the aggregate functions
 * (sum, count, len, min, max, mean, first, last, n_unique) are classes of the
 * {@link dev.spillway.operators.groupby.function} package behind
 * {@link dev.spillway.operators.groupby.function.AggregateFunction}, each declaring its result
 * type and partial-state columns and updating, merging and finishing its states a batch at a
 * time. Partial states are mergeable (sum, count, min, max, mean as sum and count, first/last with
 * their input position), so flushing, spilling and merging in any order gives the same result;
 * {@code n_unique} (a {@link dev.spillway.operators.groupby.function.DistinctFunction}) stays
 * exact by carrying each distinct (keys, value) pair as its own partial row.
 *
 * <p>Everything a table holds that grows with its groups or its input — the groups' hashes and
 * open-addressing slots, the key and state columns, the string bytes, a batch's row hashes and
 * group ids — is native memory from the engine's {@link dev.spillway.memory.BlockPool}, charged
 * to the aggregation's budget as it is allocated and freed when the table closes, so the memory
 * cap bounds what the group-by really holds (the Java heap keeps only fixed-size bookkeeping). A
 * table grows by allocating all its new buffers before it frees or changes anything, so a growth
 * the budget refuses leaves the table as it was and holding nothing more.
 */
package dev.spillway.operators.groupby;
