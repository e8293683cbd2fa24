package dev.spillway.operators.join;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Assembles join result rows: the probe (left) columns, then the build (right) non-key columns.
 * A build-only row (RIGHT/FULL) takes its left key columns from the build keys, as SQL's
 * {@code USING} does. Rows are recorded as references (probe row; build morsel and row) and
 * gathered column by column when the morsel is finished, one type dispatch per column instead of
 * one per value. Reusable: {@link #finish} empties it. Not thread-safe; at most one probe morsel
 * between finishes.
 *
 * <p>Rows are recorded between {@link #start} and {@link #finish} (or {@link #clear}) within one
 * call on one thread, so the reference arrays, a morsel's worth of ints each, are that thread's
 * {@link RowRefs}, shared by every join output of the process, not arrays of each output: a query
 * allocates none (a RIGHT join used to allocate five per in-memory partition), a morsel neither.
 */
final class JoinOutput {
    /** Each thread's reference arrays; see the class comment. */
    private static final ThreadLocal<RowRefs> REFS = ThreadLocal.withInitial(RowRefs::new);

    private final Schema schema;
    private final int probeColumns;
    private final int[] buildColumns;
    private final int[] keyFromBuild;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final int capacity;
    /** The references while rows are recorded (after {@link #start}), else null. */
    private RowRefs refs;
    private int[] probeRows;
    private int[] buildWhich;
    private int[] buildRows;
    private final List<Morsel> buildMorsels = new ArrayList<>();
    /**
     * By slot (see {@link #pair}): the table recorded rows refer to and where its morsels start in
     * {@link #buildMorsels} (chains are walked in rounds that revisit tables). Allocated on the
     * first build row; a slot's table is reset by {@link #clear}.
     */
    private JoinHashTable[] slotTable;
    private int[] slotBase;
    private int[] usedSlots;
    private int usedCount;
    private ColumnVector[] sources = new ColumnVector[1];
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
    }

    /**
     * Starts recording rows on the calling thread, which must {@link #finish} or {@link #clear}
     * before it returns; {@code m} is the probe morsel the probe rows refer to (not owned), or null
     * when only build rows are recorded. Idempotent while recording.
     */
    void start(Morsel m) {
        if (probe != null && probe != m && rows > 0) {
            throw new IllegalStateException("one join output takes rows of one probe morsel");
        }
        probe = m;
        if (refs == null) {
            RowRefs r = REFS.get();
            if (r.owner != null) {
                // Another output records on this thread (not done by the engine): use arrays of its own.
                r = new RowRefs();
            }
            r.take(this, capacity + 1);
            refs = r;
            probeRows = r.probeRows;
            buildWhich = r.buildWhich;
            buildRows = r.buildRows;
        }
    }

    /**
     * Index of build row {@code i} of {@code table} among this output's build morsels; {@code slot}
     * (0 to 255) stands for the table until the output is finished.
     */
    private int buildMorsel(int slot, JoinHashTable table, int i) {
        if (table != lastTable) {
            if (slotTable == null) {
                slotTable = new JoinHashTable[JoinTables.PARTITIONS];
                slotBase = new int[JoinTables.PARTITIONS];
                usedSlots = new int[JoinTables.PARTITIONS];
            }
            JoinHashTable known = slotTable[slot];
            if (known != table) {
                if (known != null) {
                    throw new IllegalStateException("slot " + slot + " of a join output holds another table");
                }
                slotTable[slot] = table;
                slotBase[slot] = buildMorsels.size();
                usedSlots[usedCount++] = slot;
                List<Morsel> ms = table.morsels();
                for (int k = 0; k < ms.size(); k++) {
                    buildMorsels.add(ms.get(k));
                }
            }
            lastTable = table;
            lastBase = slotBase[slot];
        }
        return lastBase + table.morselIndex(i);
    }

    /**
     * Records probe row {@code pr} joined with row {@code i} of {@code table}; {@code slot} (0 to
     * 255, such as the table's partition) must be the same for every row of that table and differ
     * from other tables' until the output is finished.
     */
    void pair(int pr, int slot, JoinHashTable table, int i) {
        probeRows[rows] = pr;
        buildWhich[rows] = buildMorsel(slot, table, i);
        buildRows[rows] = table.row(i);
        rows++;
    }

    void probeOnly(int pr) {
        probeRows[rows] = pr;
        buildWhich[rows] = -1;
        rows++;
    }

    /** Records row {@code i} of {@code table} on its own; see {@link #pair} for {@code slot}. */
    void buildOnly(int slot, JoinHashTable table, int i) {
        probeRows[rows] = -1;
        buildWhich[rows] = buildMorsel(slot, table, i);
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

    /** Drops the rows recorded so far and gives the reference arrays back. */
    void clear() {
        rows = 0;
        buildMorsels.clear();
        for (int k = 0; k < usedCount; k++) {
            slotTable[usedSlots[k]] = null;
        }
        usedCount = 0;
        lastTable = null;
        probe = null;
        anyBuildOnly = false;
        if (refs != null) {
            refs.give(this);
            refs = null;
            probeRows = null;
            buildWhich = null;
            buildRows = null;
        }
    }

    /** The reused gather sources, at least {@code n} long, with nothing after the first {@code n}. */
    private ColumnVector[] sources(int n) {
        if (sources.length < n) {
            sources = new ColumnVector[n];
        } else {
            Arrays.fill(sources, n, sources.length, null);
        }
        return sources;
    }

    private Morsel gather(long sequence) {
        List<ColumnVector> cols = new ArrayList<>(schema.size());
        int[] which = refs == null ? null : refs.scratchWhich;
        int[] from = refs == null ? null : refs.scratchFrom;
        int builds = buildMorsels.size();
        try {
            for (int c = 0; c < schema.size(); c++) {
                ColumnVector[] src;
                int[] w = which;
                int[] r;
                if (c < probeColumns) {
                    int kb = keyFromBuild[c];
                    boolean keyFromBuildRows = kb >= 0 && anyBuildOnly;
                    src = sources(1 + (keyFromBuildRows ? builds : 0));
                    src[0] = probe == null ? null : probe.column(c);
                    for (int b = 0; keyFromBuildRows && b < builds; b++) {
                        src[1 + b] = buildMorsels.get(b).column(kb);
                    }
                    r = from;
                    for (int k = 0; k < rows; k++) {
                        boolean fromProbe = probeRows[k] >= 0;
                        which[k] = fromProbe ? 0 : keyFromBuildRows ? 1 + buildWhich[k] : -1;
                        from[k] = fromProbe ? probeRows[k] : buildRows[k];
                    }
                    if (!anyBuildOnly && src[0] != null) {
                        w = null;
                        r = probeRows;
                    }
                } else {
                    int bc = buildColumns[c - probeColumns];
                    src = sources(builds);
                    for (int b = 0; b < builds; b++) {
                        src[b] = buildMorsels.get(b).column(bc);
                    }
                    w = buildWhich;
                    r = buildRows;
                }
                try (ColumnBuilder builder = ColumnBuilder.create(schema.field(c), pool, budget, Math.max(1, rows))) {
                    builder.appendGather(src, w, r, rows);
                    cols.add(builder.build());
                }
            }
        } catch (RuntimeException | Error e) {
            cols.forEach(ColumnVector::close);
            throw e;
        } finally {
            Arrays.fill(sources, null);
        }
        return new Morsel(schema, cols, rows, sequence);
    }

    /**
     * One thread's row references: probe row, build morsel and build row per result row, and two
     * arrays the gather fills. Grown to the largest output the thread recorded; used by one output
     * at a time (its owner).
     */
    private static final class RowRefs {
        private int[] probeRows = new int[0];
        private int[] buildWhich = new int[0];
        private int[] buildRows = new int[0];
        private int[] scratchWhich = new int[0];
        private int[] scratchFrom = new int[0];
        private JoinOutput owner;

        void take(JoinOutput output, int length) {
            owner = output;
            if (probeRows.length < length) {
                probeRows = new int[length];
                buildWhich = new int[length];
                buildRows = new int[length];
                scratchWhich = new int[length];
                scratchFrom = new int[length];
            }
        }

        void give(JoinOutput output) {
            if (owner == output) {
                owner = null;
            }
        }
    }
}
