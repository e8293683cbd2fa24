/**
 * External merge sort and top-k.
 *
 * <p>Rows are compared through <i>normalized keys</i> ({@link dev.spillway.operators.sort.KeyEncoder}):
 * each row's sort keys become a few longs that compare as unsigned integers, so the sort kernels
 * ({@link dev.spillway.operators.sort.SortKernel}: LSD radix sort, or merge sort when a string
 * prefix can tie) and the merge's loser tree ({@link dev.spillway.operators.sort.Merger}) compare
 * primitives, not values. Workers sort their input into runs, each a stream of the sort's
 * {@link dev.spillway.spill.StreamStore}, which evicts the largest under memory pressure into a few
 * shared files; a bounded fan-in merges them, in several passes when there are more spilled
 * runs than the fan-in ({@link dev.spillway.operators.sort.ExternalSort}). Stability is a key like
 * any other: a hidden input-position column, compared last. Top-k
 * ({@link dev.spillway.operators.sort.TopK}) keeps a bounded sorted buffer per worker instead.
 */
package dev.spillway.operators.sort;
