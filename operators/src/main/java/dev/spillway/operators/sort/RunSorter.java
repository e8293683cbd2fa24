package dev.spillway.operators.sort;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.types.Schema;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Sorts a batch of morsels in memory into a sorted run: encodes the keys of every row
 * ({@link KeyEncoder}), sorts a permutation of the rows ({@link SortKernel}) and gathers the rows
 * column by column into new morsels ({@link ColumnBuilder#appendGather}).
 *
 * <p>The working state of a sort grows with its rows, so it lives in one native buffer taken
 * from the pool for the sort and freed at its end, charged to the budget exactly as allocated
 * ({@link #workBytes}): the keys ({@code 8 * width} bytes a row, freed once the rows are in
 * order), the permutation and the kernels' scratch, and each row's morsel (4 bytes a row each).
 * The sorted rows leave block by block as they are gathered ({@link #sort(KeyEncoder, List, long,
 * int, BlockPool, MemoryBudget, Consumer)}), so that a run sort never holds its whole output. The heap holds only what grows
 * with the morsels (one start offset per morsel, next to the morsel list itself) and a gather
 * batch of {@value #GATHER_BATCH} rows.
 */
final class RunSorter {
    /** Rows gathered per {@link ColumnBuilder#appendGather} call: bounds the heap scratch of a gather. */
    static final int GATHER_BATCH = 1024;
    /** Most rows of one in-memory sort (row indexes are int32). */
    static final int MAX_ROWS = Integer.MAX_VALUE - 8;

    private RunSorter() {
    }

    /** With the position column, a morsel of the internal schema: the input columns plus each row's position. */
    static Morsel withPositions(SortSpec spec, Morsel in, BlockPool pool, MemoryBudget budget) {
        return withPositions(spec, in, 0, pool, budget);
    }

    /** {@link #withPositions(SortSpec, Morsel, BlockPool, MemoryBudget)} for rows {@code first ..} of a morsel (a slice of it). */
    static Morsel withPositions(SortSpec spec, Morsel in, int first, BlockPool pool, MemoryBudget budget) {
        if (!spec.stable()) {
            return in;
        }
        try (in) {
            int rows = in.rowCount();
            List<ColumnVector> cols = new ArrayList<>(in.columnCount() + 1);
            try (Int64Builder pos = (Int64Builder) ColumnBuilder.create(dev.spillway.types.DataType.INT64, pool, budget,
                    Math.max(1, rows))) {
                long base = in.sequence() << 32;
                for (int r = 0; r < rows; r++) {
                    pos.append(base | (first + r));
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

    /** Native bytes a sort of {@code rows} rows works in (the keys, the permutation, its scratch and the morsel of each row). */
    static long workBytes(KeyEncoder enc, long rows) {
        return enc.bytesFor(rows) + 3 * SortKernel.indexBytes(rows);
    }

    /**
     * The most native bytes a sort of {@code rows} rows holds at once beside its input, as the
     * pool charges them: the keys and the three index arrays while it sorts (two buffers, each
     * rounded up to its size class); the keys are freed before the rows are gathered.
     */
    static long peakWorkBytes(KeyEncoder enc, long rows, BlockPool pool) {
        return pool.capacityFor(Math.max(1, enc.bytesFor(rows))) + pool.capacityFor(Math.max(1, 3 * SortKernel.indexBytes(rows)));
    }

    /**
     * Sorts the rows of {@code in} (closed by this method) and returns the first {@code limit} of
     * them as morsels of at most {@code blockRows} rows, charged to {@code budget}, as is the
     * working memory of the sort while it runs.
     */
    static List<Morsel> sort(KeyEncoder enc, List<Morsel> in, long limit, int blockRows, BlockPool pool, MemoryBudget budget) {
        List<Morsel> out = new ArrayList<>();
        try {
            sort(enc, in, limit, blockRows, pool, budget, out::add);
        } catch (RuntimeException e) {
            out.forEach(Morsel::close);
            throw e;
        }
        return out;
    }

    /**
     * Sorts the rows of {@code in} (closed by this method) and hands the first {@code limit} of
     * them to {@code out} as morsels of at most {@code blockRows} rows, in order, each as soon as
     * it is gathered (so that a spillable consumer holds them, not the sort); {@code out} takes
     * ownership of each morsel, also when it throws. The morsels and the sort's working memory
     * (never more than {@link #peakWorkBytes} at once) are charged to {@code budget}.
     */
    static void sort(KeyEncoder enc, List<Morsel> in, long limit, int blockRows, BlockPool pool, MemoryBudget budget,
            Consumer<Morsel> out) {
        try {
            long total = 0;
            for (Morsel m : in) {
                total += m.rowCount();
            }
            if (total == 0) {
                return;
            }
            if (total > MAX_ROWS) {
                throw new IllegalStateException("a sort run of " + total + " rows is too large for one in-memory sort");
            }
            int n = (int) total;
            int w = enc.width();
            long idxBytes = SortKernel.indexBytes(n);
            try (NativeBuffer work = pool.allocate(budget, 3 * idxBytes)) {
                MemorySegment order = work.segment().asSlice(0, idxBytes);
                MemorySegment scratch = work.segment().asSlice(idxBytes, idxBytes);
                MemorySegment morselOf = work.segment().asSlice(2 * idxBytes, idxBytes);
                int[] start = new int[in.size()];
                MemorySegment sorted;
                // The keys are only needed to order the rows: they are freed before the gather.
                try (NativeBuffer keyBuffer = pool.allocate(budget, enc.bytesFor(n))) {
                    MemorySegment keys = keyBuffer.segment().asSlice(0, enc.bytesFor(n));
                    int base = 0;
                    for (int i = 0; i < in.size(); i++) {
                        Morsel m = in.get(i);
                        enc.encode(m, keys, base);
                        start[i] = base;
                        MemorySegment owner = morselOf.asSlice(SortKernel.indexBytes(base), SortKernel.indexBytes(m.rowCount()));
                        for (int r = 0, rows = m.rowCount(); r < rows; r++) {
                            owner.setAtIndex(SortKernel.INDEX, r, i);
                        }
                        base += m.rowCount();
                    }
                    SortKernel.identity(order, n);
                    sorted = order;
                    if (enc.hasStrings()) {
                        SortKernel.mergeSort(order, scratch, n, (a, b) -> {
                            long oa = (long) a * w;
                            long ob = (long) b * w;
                            // Most comparisons end in the words before a string tie: look up the rows' morsels only after.
                            int c = enc.compareConclusive(keys, oa, keys, ob);
                            if (c != 0) {
                                return c;
                            }
                            int ma = morselOf.getAtIndex(SortKernel.INDEX, a);
                            int mb = morselOf.getAtIndex(SortKernel.INDEX, b);
                            return enc.compare(keys, oa, in.get(ma), a - start[ma], keys, ob, in.get(mb), b - start[mb]);
                        });
                    } else {
                        sorted = SortKernel.radixSort(order, scratch, n, keys, w);
                    }
                }
                gather(enc.spec().internalSchema(), in, sorted, (int) Math.min(limit, n), morselOf, start, blockRows,
                        pool, budget, out);
            }
        } finally {
            in.forEach(Morsel::close);
        }
    }

    /**
     * The rows {@code order[0, count)} (global row numbers: row {@code g} is row
     * {@code g - start[m]} of morsel {@code m = morselOf[g]}) as morsels of at most
     * {@code blockRows} rows, handed to {@code out} one by one.
     */
    private static void gather(Schema schema, List<Morsel> in, MemorySegment order, int count, MemorySegment morselOf,
            int[] start, int blockRows, BlockPool pool, MemoryBudget budget, Consumer<Morsel> out) {
        int cols = schema.size();
        ColumnVector[][] sources = new ColumnVector[cols][in.size()];
        for (int c = 0; c < cols; c++) {
            for (int i = 0; i < in.size(); i++) {
                sources[c][i] = in.get(i).column(c);
            }
        }
        int batch = Math.min(GATHER_BATCH, count);
        int[] which = new int[batch];
        int[] rows = new int[batch];
        ColumnBuilder[] builders = new ColumnBuilder[cols];
        long sequence = 0;
        try {
            for (int from = 0; from < count; from += blockRows) {
                int len = Math.min(blockRows, count - from);
                for (int c = 0; c < cols; c++) {
                    builders[c] = ColumnBuilder.create(schema.field(c), pool, budget, Math.max(1, len));
                }
                for (int done = 0; done < len; done += batch) {
                    int k = Math.min(batch, len - done);
                    long at = (long) from + done;
                    for (int j = 0; j < k; j++) {
                        int g = order.getAtIndex(SortKernel.INDEX, at + j);
                        int m = morselOf.getAtIndex(SortKernel.INDEX, g);
                        which[j] = m;
                        rows[j] = g - start[m];
                    }
                    for (int c = 0; c < cols; c++) {
                        builders[c].appendGather(sources[c], which, rows, k);
                    }
                }
                out.accept(build(schema, builders, len, sequence++));
            }
        } catch (RuntimeException e) {
            for (ColumnBuilder b : builders) {
                if (b != null) {
                    b.close();
                }
            }
            throw e;
        }
    }

    /** Builds every column of {@code builders} (each set to null as it is taken) into a morsel of {@code len} rows. */
    private static Morsel build(Schema schema, ColumnBuilder[] builders, int len, long sequence) {
        List<ColumnVector> built = new ArrayList<>(builders.length);
        try {
            for (int c = 0; c < builders.length; c++) {
                ColumnBuilder b = builders[c];
                builders[c] = null;
                try (b) {
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
