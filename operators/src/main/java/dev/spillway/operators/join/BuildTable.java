package dev.spillway.operators.join;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Build rows in memory with their hash table and, for RIGHT and FULL joins, one match flag per
 * row: an in-memory partition after the build, or a chunk of a spilled partition read back. Owns
 * all three.
 *
 * <p>Probes set flags with plain byte stores from several workers (the same value, so benign);
 * the end of the probe phase orders them before {@link #emitUnmatched} reads them.
 */
final class BuildTable implements AutoCloseable {
    private final List<Morsel> rows;
    private final JoinHashTable table;
    private final NativeBuffer matched;
    private boolean closed;

    /** Indexes {@code rows}, taking ownership of them (closed here if indexing fails). */
    BuildTable(JoinSpec spec, List<Morsel> rows, BlockPool pool, MemoryBudget budget) {
        JoinHashTable t = null;
        try {
            t = new JoinHashTable(rows, spec.keys(), pool, budget);
            this.matched = spec.type().keepsUnmatchedRight() ? pool.allocateZeroed(budget, Math.max(1, t.rows())) : null;
        } catch (RuntimeException | Error e) {
            if (t != null) {
                t.close();
            }
            rows.forEach(Morsel::close);
            throw e;
        }
        this.rows = rows;
        this.table = t;
    }

    JoinHashTable table() {
        return table;
    }

    /** The match flags (one byte per table row), or null when the join type does not keep unmatched build rows. */
    NativeBuffer matched() {
        return matched;
    }

    /** Rows plus table: what this holds in memory. */
    long byteSize() {
        long n = table.byteSize() + (matched == null ? 0 : matched.capacity());
        for (Morsel m : rows) {
            n += m.byteSize();
        }
        return n;
    }

    /**
     * Emits the build rows never matched from row {@code from} on until the output is full.
     *
     * @return the row to resume at; {@link JoinHashTable#rows()} when all were seen
     */
    int emitUnmatched(int from, JoinOutput out) {
        MemorySegment flags = matched.segment();
        int i = from;
        int n = table.rows();
        for (; i < n && !out.full(); i++) {
            if (flags.get(ValueLayout.JAVA_BYTE, i) == 0) {
                out.buildOnly(0, table, i);
            }
        }
        return i;
    }

    /** Frees the table, the flags and the rows. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            table.close();
            if (matched != null) {
                matched.close();
            }
        } finally {
            rows.forEach(Morsel::close);
        }
    }
}
