package dev.spillway.operators.join;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;

import java.util.ArrayList;
import java.util.List;

/**
 * Assembles join result rows: the probe (left) columns, then the build (right) non-key columns.
 * A build-only row (RIGHT/FULL) takes its left key columns from the build keys, as SQL's
 * {@code USING} does. Not thread-safe: one per morsel being produced.
 */
final class JoinOutput implements AutoCloseable {
    private final Schema schema;
    private final int probeColumns;
    private final int[] buildColumns;
    private final int[] keyFromBuild;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final List<ColumnBuilder> builders = new ArrayList<>();
    private int rows;

    /**
     * @param keyFromBuild for each probe column, the build column holding the same key, or -1
     */
    JoinOutput(Schema schema, int probeColumns, int[] buildColumns, int[] keyFromBuild, BlockPool pool, MemoryBudget budget) {
        this.schema = schema;
        this.probeColumns = probeColumns;
        this.buildColumns = buildColumns;
        this.keyFromBuild = keyFromBuild;
        this.pool = pool;
        this.budget = budget;
        try {
            for (int c = 0; c < schema.size(); c++) {
                builders.add(ColumnBuilder.create(schema.field(c).type(), pool, budget, 1024));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    void pair(Morsel p, int pr, Morsel b, int br) {
        for (int c = 0; c < probeColumns; c++) {
            builders.get(c).appendFrom(p.column(c), pr);
        }
        for (int j = 0; j < buildColumns.length; j++) {
            builders.get(probeColumns + j).appendFrom(b.column(buildColumns[j]), br);
        }
        rows++;
    }

    void probeOnly(Morsel p, int pr) {
        for (int c = 0; c < probeColumns; c++) {
            builders.get(c).appendFrom(p.column(c), pr);
        }
        for (int j = probeColumns; j < builders.size(); j++) {
            builders.get(j).appendNull();
        }
        rows++;
    }

    void buildOnly(Morsel b, int br) {
        for (int c = 0; c < probeColumns; c++) {
            if (keyFromBuild[c] >= 0) {
                builders.get(c).appendFrom(b.column(keyFromBuild[c]), br);
            } else {
                builders.get(c).appendNull();
            }
        }
        for (int j = 0; j < buildColumns.length; j++) {
            builders.get(probeColumns + j).appendFrom(b.column(buildColumns[j]), br);
        }
        rows++;
    }

    int rows() {
        return rows;
    }

    /** The rows so far as a morsel; this output is spent afterwards. */
    Morsel finish(long sequence) {
        List<ColumnVector> cols = new ArrayList<>(builders.size());
        try {
            for (ColumnBuilder b : builders) {
                cols.add(b.build());
            }
        } catch (RuntimeException e) {
            cols.forEach(ColumnVector::close);
            throw e;
        }
        builders.clear();
        return new Morsel(schema, cols, rows, sequence);
    }

    BlockPool pool() {
        return pool;
    }

    MemoryBudget budget() {
        return budget;
    }

    @Override
    public void close() {
        builders.forEach(ColumnBuilder::close);
        builders.clear();
    }
}
