package dev.spillway.operators.groupby;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.Closeables;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.errors.ExprEvaluationException;
import dev.spillway.operators.groupby.function.AggregateFunction;
import dev.spillway.operators.groupby.function.ByteLog;
import dev.spillway.operators.groupby.function.DistinctFunction;
import dev.spillway.operators.groupby.function.GroupColumn;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An open-addressing hash table of groups with their aggregate states, used three ways: as a
 * worker's small fixed-size pre-aggregation table (input rows in, partial rows out), as a
 * partition's merge table (partial rows in, results or partial rows out), and — when
 * {@code n_unique} extends the key — as the table that folds a partition's (keys, value) groups
 * back to the group keys.
 *
 * <p>Its {@link GroupKeys} map rows to group ids (key hashing, equality, insertion, growth) and
 * store the keys; the table stores the aggregate states column-wise as {@link GroupColumn}s
 * (native buffers indexed by group, strings in a native {@link ByteLog} shared with the keys)
 * and builds partial and result morsels. All of it — keys, states, strings, the per-row hashes and
 * group ids — is native memory from the pool, charged to the budget as it is allocated and given
 * back by {@link #close}, so what the table holds is what the memory cap counts and nothing of
 * it stays on the Java heap. What a state means is the {@link AggregateFunction}'s business: the
 * table hands each function its state columns with a batch of rows and their group ids. Not
 * thread-safe.
 */
final class AggTable implements AutoCloseable {
    private final AggLayout layout;
    private final AggregateFunction[] functions;
    /** The state columns of each aggregate, in its state order. */
    private final GroupColumn[][] aggStates;
    private final int groupKeys;
    private final boolean fine;
    private final ByteLog strings;
    private final GroupColumn[] states;
    private final GroupKeys keys;
    /** The key columns of {@link #keys}. */
    private final GroupColumn[] keyColumns;
    /** The group id of each row of the batch being added (int32s). */
    private final RowScratch rowGroups;
    private boolean closed;

    /**
     * A table.
     *
     * @param fine      whether the key is the extended key (group keys plus n_unique inputs) or
     *                  the group keys only
     * @param maxGroups the most groups (a pre-aggregation table is full then), or
     *                  {@link Integer#MAX_VALUE} for a table that grows
     * @throws dev.spillway.errors.MemoryLimitExceededException when the first groups' room cannot
     *                                                          be had (nothing is then held)
     */
    AggTable(AggLayout layout, boolean fine, int maxGroups, BlockPool pool, MemoryBudget budget) {
        this.layout = layout;
        this.groupKeys = layout.keyCount();
        this.fine = fine;
        this.strings = new ByteLog(pool, budget);
        this.rowGroups = new RowScratch(pool, budget, Integer.BYTES);
        this.states = new GroupColumn[layout.stateTypes.length];
        for (int s = 0; s < states.length; s++) {
            states[s] = new GroupColumn(layout.states[s], strings, pool, budget);
        }
        int n = layout.aggs.length;
        this.functions = new AggregateFunction[n];
        this.aggStates = new GroupColumn[n][];
        for (int a = 0; a < n; a++) {
            functions[a] = layout.aggs[a].function();
            int end = a + 1 < n ? layout.stateStart[a + 1] : states.length;
            aggStates[a] = Arrays.copyOfRange(states, layout.stateStart[a], end);
        }
        // The only allocation here; a GroupKeys that cannot get its first room keeps nothing.
        this.keys = new GroupKeys(fine ? layout.fineKeyTypes : layout.keyTypes, groupKeys, maxGroups, states, strings, pool,
                budget);
        this.keyColumns = keys.columns();
    }

    /** Number of groups. */
    int groups() {
        return keys.groups();
    }

    /** Native bytes this table holds (what it is charged). */
    long byteSize() {
        long n = keys.byteSize() + strings.byteSize() + rowGroups.byteSize();
        for (GroupColumn s : states) {
            n += s.byteSize();
        }
        return n;
    }

    /** The hash of group {@code g}'s whole key. */
    long hash(int g) {
        return keys.hash(g);
    }

    /** Native bytes per group of a table of {@code layout}'s extended key (its hashes, slots, keys and states; strings aside). */
    static long bytesPerGroup(AggLayout layout) {
        long perGroup = 16 + 8;
        for (DataType t : layout.fineKeyTypes) {
            perGroup += GroupColumn.bytesPerGroup(t);
        }
        for (DataType t : layout.stateTypes) {
            perGroup += GroupColumn.bytesPerGroup(t);
        }
        return perGroup;
    }

    /** The hash of group {@code g}'s group keys (its partition). */
    long partitionHash(int g) {
        return keys.partitionHash(g);
    }

    // ------------------------------------------------------------------ adding rows

    /** Pass over partial rows: every key column is real. */
    static final int REAL = -2;
    /** Pass over input rows that updates the states; the n_unique key columns read as null. */
    static final int MAIN = -1;

    /**
     * Aggregates input rows {@code from ..} of {@code m} (laid out as {@link AggLayout#inputSchema()})
     * until the table is full. With n_unique aggregates each input row is seen in several passes:
     * the {@link #MAIN} pass updates the states under the group keys (n_unique key columns null);
     * pass {@code j} adds the row's non-null input of the {@code j}-th n_unique aggregate as its
     * own key (the other n_unique key columns null), updating no state. Every extended key thus
     * has at most one non-null n_unique column, and each (keys, j, value) appears once.
     *
     * @param ordinalBase the input position of row 0 (for first/last)
     * @param pass        {@link #MAIN} or the index of an n_unique aggregate
     * @return the first row not consumed ({@code m.rowCount()} when all were)
     */
    int addInput(Morsel m, int from, long ordinalBase, int pass) {
        int[] cols = layout.inputFineKeyColumns();
        if (from == 0 || !keys.scratchHolds(m.rowCount())) {
            keys.hashInput(m, cols, pass);
        }
        return add(m, cols, from, true, 0, ordinalBase, pass);
    }

    /** Merges every partial row of {@code m} (laid out as {@link AggLayout#partialSchema()}). */
    void addPartials(Morsel m) {
        if (addPartials(m, 0) != m.rowCount()) {
            throw new IllegalStateException("a merge table cannot be full");
        }
    }

    /**
     * Merges partial rows {@code from ..} of {@code m} until the table is full.
     *
     * @return the first row not consumed ({@code m.rowCount()} when all were)
     */
    int addPartials(Morsel m, int from) {
        int[] cols = new int[keyColumns.length];
        for (int k = 0; k < cols.length; k++) {
            cols[k] = k;
        }
        if (from == 0 || !keys.scratchHolds(m.rowCount())) {
            keys.hashRows(m, cols, groupKeys);
        }
        return add(m, cols, from, false, layout.fineKeyCount(), 0, REAL);
    }

    /**
     * Folds partial rows of the extended key into this table of group keys: states merge; each
     * distinct aggregate folds its extended-key column (each non-null (keys, value) pair is one
     * row of the merged partition, see {@link #addInput} and {@link DistinctFunction#fold}).
     */
    void addFolded(Morsel m) {
        int[] cols = new int[groupKeys];
        for (int k = 0; k < groupKeys; k++) {
            cols[k] = k;
        }
        keys.hashRows(m, cols, groupKeys);
        int n = m.rowCount();
        MemorySegment gid = rowGroups.rows(n);
        keys.findOrInsertAll(m, cols, gid);
        merge(m, layout.fineKeyCount(), gid, 0, n);
        for (int a = 0; a < functions.length; a++) {
            int u = layout.distinctIndex[a];
            if (u >= 0) {
                ((DistinctFunction) functions[a]).fold(aggStates[a], m.column(groupKeys + u), gid, 0, n);
            }
        }
    }

    /** Merges the state columns of partial rows {@code [from, to)} (starting at column {@code stateBase}) into groups {@code gid}. */
    private void merge(Morsel m, int stateBase, MemorySegment gid, int from, int to) {
        for (int a = 0; a < functions.length; a++) {
            try {
                functions[a].merge(aggStates[a], m, stateBase + layout.stateStart[a], gid, from, to);
            } catch (ArithmeticException e) {
                throw overflow(a, e);
            }
        }
    }

    /** Adds the one group of a key-less aggregation over no rows (its states empty). */
    void addEmptyGroup() {
        keys.addEmptyGroup();
    }

    private int add(Morsel m, int[] cols, int from, boolean input, int stateBase, long ordinalBase, int pass) {
        if (pass >= 0) {
            // An n_unique pass only inserts its (keys, value) pairs; no state changes.
            return keys.insertPass(m, cols, from, pass);
        }
        // Vectorised: the group of every row first, then each aggregate over the whole batch.
        int n = m.rowCount();
        MemorySegment gid = rowGroups.rows(n);
        int end = keys.assign(m, cols, from, n, pass, gid);
        if (!input) {
            merge(m, stateBase, gid, from, end);
            return end;
        }
        for (int a = 0; a < functions.length; a++) {
            int c = layout.inputColumn[a];
            try {
                functions[a].update(aggStates[a], c < 0 ? null : m.column(c), gid, from, end, ordinalBase);
            } catch (ArithmeticException e) {
                throw overflow(a, e);
            }
        }
        return end;
    }

    // ------------------------------------------------------------------ output

    /** Appends groups {@code [from, to)} as partial rows to {@code out} (builders of the partial schema), column by column. */
    private void appendPartials(int from, int to, List<ColumnBuilder> out) {
        for (int k = 0; k < keyColumns.length; k++) {
            keyColumns[k].appendTo(out.get(k), from, to);
        }
        for (int s = 0; s < states.length; s++) {
            states[s].appendTo(out.get(keyColumns.length + s), from, to);
        }
    }

    /** Groups {@code [from, to)} as partial rows, charged to {@code to}'s budget. */
    Morsel partials(int from, int to, BlockPool pool, MemoryBudget into) {
        Schema schema = fine ? layout.partialSchema() : layout.merged().partialSchema();
        return build(schema, from, to, pool, into, 0, true);
    }

    /** Groups {@code [from, to)} as result rows (group keys, then one column per aggregate). */
    Morsel results(int from, int to, BlockPool pool, MemoryBudget into, long sequence) {
        return build(layout.outputSchema(), from, to, pool, into, sequence, false);
    }

    private Morsel build(Schema schema, int from, int to, BlockPool pool, MemoryBudget into, long sequence, boolean partial) {
        List<ColumnBuilder> cols = new ArrayList<>(schema.size());
        try {
            for (int c = 0; c < schema.size(); c++) {
                cols.add(ColumnBuilder.create(schema.field(c), pool, into, Math.max(1, to - from)));
            }
            if (partial) {
                appendPartials(from, to, cols);
            } else {
                appendResults(from, to, cols);
            }
            List<ColumnVector> vectors = new ArrayList<>(cols.size());
            try {
                for (ColumnBuilder b : cols) {
                    vectors.add(b.build());
                }
            } catch (RuntimeException e) {
                vectors.forEach(ColumnVector::close);
                throw e;
            }
            return new Morsel(schema, vectors, to - from, sequence);
        } finally {
            cols.forEach(ColumnBuilder::close);
        }
    }

    /** Appends groups {@code [from, to)} as result rows, column by column: each function finishes its own column. */
    private void appendResults(int from, int to, List<ColumnBuilder> out) {
        if (fine && layout.hasDistinct()) {
            throw new IllegalStateException("results come from the folded table when n_unique extends the key");
        }
        for (int k = 0; k < groupKeys; k++) {
            keyColumns[k].appendTo(out.get(k), from, to);
        }
        for (int a = 0; a < functions.length; a++) {
            try {
                functions[a].finish(aggStates[a], from, to, out.get(groupKeys + a));
            } catch (ArithmeticException e) {
                throw overflow(a, e);
            }
        }
    }

    /** The error of aggregate {@code a} whose value left its type: the function's message, with which aggregate it was. */
    private ExprEvaluationException overflow(int a, ArithmeticException e) {
        return new ExprEvaluationException("overflow in " + layout.aggs[a].label() + ": " + e.getMessage());
    }

    // ------------------------------------------------------------------ lifecycle

    /** Forgets every group, keeping the memory (a pre-aggregation table after a flush). */
    void clear() {
        keys.clear();
        strings.reset();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<AutoCloseable> owned = new ArrayList<>(List.of(keys, rowGroups, strings));
        owned.addAll(Arrays.asList(states));
        Closeables.closeAll(owned);
    }
}
