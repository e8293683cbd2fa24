/**
 * Joins. The hash join is an immutable {@link dev.spillway.operators.join.JoinSpec} (schemas,
 * keys, type, result assembly) plus one class per phase, coordinated by
 * {@link dev.spillway.operators.join.HashJoin}:
 * <ul>
 * <li><b>Build</b> ({@code JoinBuild}): build rows go into a {@code PartitionedStore} of 256 hash
 * partitions that the memory manager may evict; at the end the forced-spill share is evicted, then
 * the largest partitions until the rest fits in half the memory, and the rest become
 * {@code BuildTable}s (taken out of the store, so never evicted).</li>
 * <li><b>Probe</b> ({@code JoinProbe}, {@link dev.spillway.operators.join.ProbeCursor}): probe rows
 * of in-memory partitions are probed in batches (overlapping cache misses, partition order when
 * the tables do not fit in cache, reused scratch); probe rows of spilled partitions go into a
 * probe-side store.</li>
 * <li><b>Finalize</b>: units of a {@code FinalizeQueue}, claimed by every puller of the
 * {@link dev.spillway.operators.join.JoinProbeSource}: {@code UnmatchedBuild} (RIGHT and FULL rows
 * of an in-memory partition) and {@code SpilledPairJoin} (one spilled partition pair: joined
 * through one table, or re-partitioned on 4 more hash bits with the sub-pairs queued first, or,
 * when one key dominates it, joined in build chunks by {@code SkewChunkJoin}).</li>
 * </ul>
 * The nested-loop join keeps its build side in a {@code BlockStore}.
 */
package dev.spillway.operators.join;
