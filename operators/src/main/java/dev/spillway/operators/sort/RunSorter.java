package dev.spillway.operators.sort;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;

import java.util.ArrayList;
import java.util.List;

/**
 * Sorts a batch of morsels in memory into a sorted run: encodes the keys of every row
 * ({@link KeyEncoder}), sorts an index array ({@link SortKernel}) and gathers the rows column by
 * column into new morsels ({@link ColumnBuilder#appendGather}). The heap arrays (keys and
 * indexes) are charged to the budget while they live, so a run sort stays inside the cap.
 */
final class RunSorter {
    private RunSorter() {
    }

    /** With the position column, a morsel of the internal schema: the input columns plus each row's position. */
    static Morsel withPositions(SortSpec spec, Morsel in, BlockPool pool, MemoryBudget budget) {
        if (!spec.stable()) {
            return in;
        }
        try (in) {
            int rows = in.rowCount();
            List<ColumnVector> cols = new ArrayList<>(in.columnCount() + 1);
            try (Int64Builder pos = (Int64Builder) ColumnBuilder.create(dev.spillway.memory.DataType.INT64, pool, budget,
                    Math.max(1, rows))) {
                long base = in.sequence() << 32;
                for (int r = 0; r < rows; r++) {
                    pos.append(base | r);
                }
                for (int c = 0; c < in.columnCount(); c++) {
                    cols.add(in.column(c).slice(0, rows));
                }
                cols.add(pos.build());
            } catch (RuntimeException e) {
                cols.forEach(ColumnVector::close);
                throw e;
            }
            return new Morsel(spec.internalSchema(), cols, rows, in.sequence());
        }
    }

    /**
     * Sorts the rows of {@code in} (closed by this method) and returns the first {@code limit} of
     * them as morsels of at most {@code blockRows} rows, charged to {@code budget}.
     */
    static List<Morsel> sort(KeyEncoder enc, List<Morsel> in, long limit, int blockRows, BlockPool pool, MemoryBudget budget) {
        try {
            long total = 0;
            for (Morsel m : in) {
                total += m.rowCount();
            }
            if (total == 0) {
                return new ArrayList<>();
            }
            int w = enc.width();
            if (total * w > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("a sort run of " + total + " rows is too large for one in-memory sort");
            }
            int n = (int) total;
            long heapBytes = 8L * n * w + 16L * n;
            budget.reserve(heapBytes);
            try {
                long[] keys = new long[n * w];
                int[] morselOf = new int[n];
                int[] rowOf = new int[n];
                int base = 0;
                for (int i = 0; i < in.size(); i++) {
                    Morsel m = in.get(i);
                    enc.encode(m, keys, base);
                    for (int r = 0; r < m.rowCount(); r++) {
                        morselOf[base + r] = i;
                        rowOf[base + r] = r;
                    }
                    base += m.rowCount();
                }
                int[] order = SortKernel.identity(n);
                if (enc.hasStrings()) {
                    SortKernel.mergeSort(order, n, (a, b) -> enc.compare(keys, a * w, in.get(morselOf[a]), rowOf[a], keys, b * w,
                            in.get(morselOf[b]), rowOf[b]));
                } else {
                    order = SortKernel.radixSort(order, n, keys, w);
                }
                return gather(enc.spec().internalSchema(), in, order, (int) Math.min(limit, n), morselOf, rowOf, blockRows,
                        pool, budget);
            } finally {
                budget.release(heapBytes);
            }
        } finally {
            in.forEach(Morsel::close);
        }
    }

    private static List<Morsel> gather(Schema schema, List<Morsel> in, int[] order, int count, int[] morselOf, int[] rowOf,
            int blockRows, BlockPool pool, MemoryBudget budget) {
        List<Morsel> out = new ArrayList<>();
        int cols = schema.size();
        ColumnVector[][] sources = new ColumnVector[cols][in.size()];
        for (int c = 0; c < cols; c++) {
            for (int i = 0; i < in.size(); i++) {
                sources[c][i] = in.get(i).column(c);
            }
        }
        int chunk = Math.min(blockRows, count);
        int[] which = new int[chunk];
        int[] rows = new int[chunk];
        try {
            for (int from = 0; from < count; from += blockRows) {
                int len = Math.min(blockRows, count - from);
                for (int k = 0; k < len; k++) {
                    int g = order[from + k];
                    which[k] = morselOf[g];
                    rows[k] = rowOf[g];
                }
                out.add(build(schema, sources, which, rows, len, out.size(), pool, budget));
            }
            return out;
        } catch (RuntimeException e) {
            out.forEach(Morsel::close);
            throw e;
        }
    }

    /** Gathers {@code len} rows ({@code sources[c][which[k]]}, row {@code rows[k]}) into a new morsel. */
    static Morsel build(Schema schema, ColumnVector[][] sources, int[] which, int[] rows, int len, long sequence,
            BlockPool pool, MemoryBudget budget) {
        List<ColumnVector> built = new ArrayList<>(schema.size());
        try {
            for (int c = 0; c < schema.size(); c++) {
                try (ColumnBuilder b = ColumnBuilder.create(schema.field(c).type(), pool, budget, Math.max(1, len))) {
                    b.appendGather(sources[c], which, rows, len);
                    built.add(b.build());
                }
            }
        } catch (RuntimeException e) {
            built.forEach(ColumnVector::close);
            throw e;
        }
        return new Morsel(schema, built, len, sequence);
    }
}
