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
 *
 * <p><b>Memory.</b> Everything whose size grows with the rows is native memory from the
 * {@link dev.spillway.memory.BlockPool}, charged to the sort's budget as allocated and freed when
 * done, so that the memory cap bounds the process and not just the count: a run sort's keys are
 * one buffer, freed once the rows are in order, and its permutation, kernel scratch and row
 * owners another, freed after the gather; the gathered blocks go to the run's stream one by one,
 * where they may spill at once ({@link dev.spillway.operators.sort.RunSorter}); each merge cursor encodes its current block's
 * keys into a {@link dev.spillway.operators.sort.ScratchBuffer}, as does a top-k worker for the
 * morsel it filters. The kernels work on {@link java.lang.foreign.MemorySegment}s with long
 * offsets and allocate nothing per row. What stays on the heap is bounded by a constant or by the
 * number of morsels: gather batches of 1,024 row references, the radix histograms, the loser
 * tree (one entry per run), a start offset per morsel of a run sort, and a top-k threshold key.
 */
package dev.spillway.operators.sort;
