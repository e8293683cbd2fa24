package dev.spillway.operators.join;

import dev.spillway.memory.Morsel;
import dev.spillway.operators.FinalizeQueue;

/**
 * The finalize unit that emits the build rows of one in-memory partition that no probe row
 * matched (RIGHT and FULL joins), a bounded morsel per step, then frees the partition's table.
 * Runs only after the probe phase ended, when the match flags are final.
 */
final class UnmatchedBuild implements FinalizeQueue.Unit {
    private final JoinTables tables;
    private final int partition;
    private final TableSteps steps;

    /** Emits the unmatched rows of {@code tables.table(partition)}, which must have match flags. */
    UnmatchedBuild(JoinSpec spec, JoinTables tables, int partition) {
        this.tables = tables;
        this.partition = partition;
        this.steps = new TableSteps(spec);
    }

    @Override
    public Morsel next(long sequence, FinalizeQueue queue) {
        return steps.unmatchedStep(tables.table(partition), sequence);
    }

    @Override
    public void close() {
        steps.close();
        tables.free(partition);
    }
}
