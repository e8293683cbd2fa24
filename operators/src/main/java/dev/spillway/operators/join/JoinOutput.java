package dev.spillway.operators.join;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * Assembles join result rows: the probe (left) columns, then the build (right) non-key columns.
 * A build-only row (RIGHT/FULL) takes its left key columns from the build keys, as SQL's
 * {@code USING} does. Rows are recorded as references (probe row; build morsel and row) and
 * gathered column by column when the morsel is finished, one type dispatch per column instead of
 * one per value. Reusable: {@link #finish} empties it. Not thread-safe; at most one probe morsel
 * between finishes.
 */
final class JoinOutput {
    private final Schema schema;
    private final int probeColumns;
    private final int[] buildColumns;
    private final int[] keyFromBuild;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final int capacity;
    private final int[] probeRows;
    private final int[] buildWhich;
    private final int[] buildRows;
    private final int[] scratchWhich;
    private final int[] scratchFrom;
    private final List<Morsel> buildMorsels = new ArrayList<>();
    /** Where each table's morsels start in {@link #buildMorsels}: chains are walked in rounds that revisit tables. */
    private final IdentityHashMap<JoinHashTable, Integer> tableBase = new IdentityHashMap<>();
    private Morsel probe;
    private JoinHashTable lastTable;
    private int lastBase;
    private int rows;
    private boolean anyBuildOnly;

    /**
     * @param keyFromBuild for each probe column, the build column holding the same key, or -1
     * @param capacity     rows after which this output is {@link #full()}; it takes one more (a
     *                     probe-only row after a chain that filled it)
     */
    JoinOutput(Schema schema, int probeColumns, int[] buildColumns, int[] keyFromBuild, BlockPool pool, MemoryBudget budget,
            int capacity) {
        this.schema = schema;
        this.probeColumns = probeColumns;
        this.buildColumns = buildColumns;
        this.keyFromBuild = keyFromBuild;
        this.pool = pool;
        this.budget = budget;
        this.capacity = capacity;
        this.probeRows = new int[capacity + 1];
        this.buildWhich = new int[capacity + 1];
        this.buildRows = new int[capacity + 1];
        this.scratchWhich = new int[capacity + 1];
        this.scratchFrom = new int[capacity + 1];
    }

    /** Sets the probe morsel the probe rows refer to (not owned). */
    void probe(Morsel m) {
        if (probe != null && probe != m && rows > 0) {
            throw new IllegalStateException("one join output takes rows of one probe morsel");
        }
        probe = m;
    }

    /** Index of build row {@code i} of {@code table} among this output's build morsels. */
    private int buildMorsel(JoinHashTable table, int i) {
        if (table != lastTable) {
            lastTable = table;
            Integer base = tableBase.get(table);
            if (base == null) {
                base = buildMorsels.size();
                tableBase.put(table, base);
                buildMorsels.addAll(table.morsels());
            }
            lastBase = base;
        }
        return lastBase + table.morselIndex(i);
    }

    void pair(int pr, JoinHashTable table, int i) {
        probeRows[rows] = pr;
        buildWhich[rows] = buildMorsel(table, i);
        buildRows[rows] = table.row(i);
        rows++;
    }

    void probeOnly(int pr) {
        probeRows[rows] = pr;
        buildWhich[rows] = -1;
        rows++;
    }

    void buildOnly(JoinHashTable table, int i) {
        probeRows[rows] = -1;
        buildWhich[rows] = buildMorsel(table, i);
        buildRows[rows] = table.row(i);
        anyBuildOnly = true;
        rows++;
    }

    int rows() {
        return rows;
    }

    boolean full() {
        return rows >= capacity;
    }

    /** The rows as a morsel; the output is empty afterwards, ready for the next rows. */
    Morsel finish(long sequence) {
        try {
            return gather(sequence);
        } finally {
            clear();
        }
    }

    /** Drops the rows recorded so far. */
    void clear() {
        rows = 0;
        buildMorsels.clear();
        tableBase.clear();
        lastTable = null;
        probe = null;
        anyBuildOnly = false;
    }

    private Morsel gather(long sequence) {
        List<ColumnVector> cols = new ArrayList<>(schema.size());
        int[] which = scratchWhich;
        int[] from = scratchFrom;
        int builds = buildMorsels.size();
        try {
            for (int c = 0; c < schema.size(); c++) {
                ColumnVector[] sources;
                int[] w = which;
                int[] r;
                if (c < probeColumns) {
                    int kb = keyFromBuild[c];
                    boolean keyFromBuildRows = kb >= 0 && anyBuildOnly;
                    sources = new ColumnVector[1 + (keyFromBuildRows ? builds : 0)];
                    sources[0] = probe == null ? null : probe.column(c);
                    for (int b = 0; keyFromBuildRows && b < builds; b++) {
                        sources[1 + b] = buildMorsels.get(b).column(kb);
                    }
                    r = from;
                    for (int k = 0; k < rows; k++) {
                        boolean fromProbe = probeRows[k] >= 0;
                        which[k] = fromProbe ? 0 : keyFromBuildRows ? 1 + buildWhich[k] : -1;
                        from[k] = fromProbe ? probeRows[k] : buildRows[k];
                    }
                    if (!anyBuildOnly && sources[0] != null) {
                        w = null;
                        r = probeRows;
                    }
                } else {
                    int bc = buildColumns[c - probeColumns];
                    sources = new ColumnVector[builds];
                    for (int b = 0; b < builds; b++) {
                        sources[b] = buildMorsels.get(b).column(bc);
                    }
                    w = buildWhich;
                    r = buildRows;
                }
                try (ColumnBuilder builder = ColumnBuilder.create(schema.field(c).type(), pool, budget, Math.max(1, rows))) {
                    builder.appendGather(sources, w, r, rows);
                    cols.add(builder.build());
                }
            }
        } catch (RuntimeException | Error e) {
            cols.forEach(ColumnVector::close);
            throw e;
        }
        return new Morsel(schema, cols, rows, sequence);
    }
}
