/**
 * Joins of inputs that arrive sorted: the merge join and the AsOf join.
 *
 * <p>Both are <i>sources</i> of the pipeline that consumes their result, like the probe side of
 * the hash join. The scheduler hands morsels to workers concurrently, but a merge must read each
 * input strictly in order; so each join pulls its two inputs itself, through an
 * {@link dev.spillway.operators.merge.OrderedInput}: one puller at a time (the join's lock), which
 * runs the input's own stateless operators (filters, projections) and restores sequence order with
 * a small reorder map should a source ever hand out morsels out of order. Output morsels are
 * numbered densely 0, 1, 2, ... under the same lock, so order-sensitive sinks downstream keep the
 * sorted order. The price is that one worker at a time runs the join and its inputs' operators;
 * the work before the inputs' pipeline breakers (scans, sorts) stays parallel.
 *
 * <p>Rows are compared through the sort's normalized keys
 * ({@link dev.spillway.operators.sort.KeyEncoder}), reused over key-only views of the morsels so
 * that both sides share one encoder; {@code -0.0} is folded onto {@code 0.0} so that keys are equal
 * exactly when the hash join finds them equal. A {@link dev.spillway.operators.merge.SortedCursor}
 * checks, once per morsel and one comparison per row, that each input really is sorted; a
 * violation (e.g. a false {@code setSorted} declaration) fails the query with an
 * {@link dev.spillway.errors.UnsortedInputException} naming the column, the row and the
 * two values, instead of returning a wrong result.
 *
 * <p><b>Memory.</b> What grows with a morsel's rows is native and charged to the join's budget:
 * each cursor's encoded keys (a buffer reused from morsel to morsel), the AsOf join's answers
 * for the left rows in hand ({@link dev.spillway.operators.merge.AsofLeftChunk}), the buffered
 * run of the merge join ({@link dev.spillway.operators.merge.RunBuffer}); gathers go through heap
 * arrays of at most the output morsel's rows, allocated once. The AsOf join's per-group state is
 * native too: a {@link dev.spillway.operators.KeyTable} maps each {@code by} key to a group id
 * with int64 words (the latest right row, the ends of the group's list of waiting left rows, which
 * is linked through the rows' answers), and a compaction remaps references through a native index.
 * The heap holds a fixed number of objects per join and one per left morsel in hand.
 */
package dev.spillway.operators.merge;
