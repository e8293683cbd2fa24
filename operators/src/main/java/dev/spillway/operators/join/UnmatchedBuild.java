package dev.spillway.operators.join;

import dev.spillway.memory.Morsel;
import dev.spillway.operators.FinalizeQueue;

/**
 * The finalize unit that emits the build rows of one in-memory partition that no probe row
 * matched (RIGHT and FULL joins), a bounded morsel per step, then frees the partition's table.
 * Runs only after the probe phase ended, when the match flags are final.
 */
final class UnmatchedBuild implements FinalizeQueue.Unit {
    private final JoinSpec spec;
    private final JoinTables tables;
    private final int partition;
    private JoinOutput out;
    private int row;

    /** Emits the unmatched rows of {@code tables.table(partition)}, which must have match flags. */
    UnmatchedBuild(JoinSpec spec, JoinTables tables, int partition) {
        this.spec = spec;
        this.tables = tables;
        this.partition = partition;
    }

    @Override
    public Morsel next(long sequence, FinalizeQueue queue) {
        BuildTable t = tables.table(partition);
        if (out == null) {
            out = spec.newOutput();
        }
        while (row < t.table().rows()) {
            row = t.emitUnmatched(row, out);
            if (out.rows() > 0) {
                return out.finish(sequence);
            }
        }
        return null;
    }

    @Override
    public void close() {
        if (out != null) {
            out.clear();
        }
        tables.free(partition);
    }
}
