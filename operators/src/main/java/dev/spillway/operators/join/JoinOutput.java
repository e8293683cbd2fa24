package dev.spillway.operators.join;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;

/**
 * Assembles join result rows: the probe (left) columns, then the build (right) non-key columns.
 * A build-only row (RIGHT/FULL) takes its left key columns from the build keys, as SQL's
 * {@code USING} does. Not thread-safe: one per morsel being produced.
 */
final class JoinOutput implements AutoCloseable {
    private final ChunkBuilder rows;
    private final int probeColumns;
    private final int[] buildColumns;
    private final int[] keyFromBuild;

    /**
     * @param keyFromBuild for each probe column, the build column holding the same key, or -1
     */
    JoinOutput(Schema schema, int probeColumns, int[] buildColumns, int[] keyFromBuild, BlockPool pool, MemoryBudget budget) {
        this.rows = new ChunkBuilder(schema, pool, budget, 1024);
        this.probeColumns = probeColumns;
        this.buildColumns = buildColumns;
        this.keyFromBuild = keyFromBuild;
    }

    void pair(Morsel p, int pr, Morsel b, int br) {
        for (int c = 0; c < probeColumns; c++) {
            rows.column(c).appendFrom(p.column(c), pr);
        }
        for (int j = 0; j < buildColumns.length; j++) {
            rows.column(probeColumns + j).appendFrom(b.column(buildColumns[j]), br);
        }
        rows.rowAppended();
    }

    void probeOnly(Morsel p, int pr) {
        for (int c = 0; c < probeColumns; c++) {
            rows.column(c).appendFrom(p.column(c), pr);
        }
        for (int j = 0; j < buildColumns.length; j++) {
            rows.column(probeColumns + j).appendNull();
        }
        rows.rowAppended();
    }

    void buildOnly(Morsel b, int br) {
        for (int c = 0; c < probeColumns; c++) {
            if (keyFromBuild[c] >= 0) {
                rows.column(c).appendFrom(b.column(keyFromBuild[c]), br);
            } else {
                rows.column(c).appendNull();
            }
        }
        for (int j = 0; j < buildColumns.length; j++) {
            rows.column(probeColumns + j).appendFrom(b.column(buildColumns[j]), br);
        }
        rows.rowAppended();
    }

    int rows() {
        return rows.rows();
    }

    /** The rows so far as a morsel; this output is spent afterwards. */
    Morsel finish(long sequence) {
        return rows.seal(sequence);
    }

    @Override
    public void close() {
        rows.close();
    }
}
