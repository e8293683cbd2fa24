package dev.spillway.operators;

import dev.spillway.memory.Morsel;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hands out zero-copy views of morsels that already exist (a collected frame, the output of a
 * pipeline breaker), renumbered 0, 1, 2... A morsel larger than the slice size (a frame built
 * from Java columns is one big morsel) is handed out in slices of that size, so that several
 * workers share it. The morsels stay owned by whoever gave them.
 */
public final class MorselSource implements Source {
    private final String name;
    private final List<Morsel> morsels;
    /** Start of slice i: (morsel index, first row), flattened. */
    private final int[] sliceMorsel;
    private final int[] sliceFrom;
    private final int[] sliceRows;
    private final AtomicInteger next = new AtomicInteger();

    /** Creates the source over {@code morsels} (not owned), in slices of {@link Morsel#DEFAULT_ROWS} rows at most. */
    public MorselSource(String name, List<Morsel> morsels) {
        this(name, morsels, Morsel.DEFAULT_ROWS);
    }

    /** Creates the source over {@code morsels} (not owned), in slices of at most {@code sliceRows} rows. */
    public MorselSource(String name, List<Morsel> morsels, int sliceRows) {
        if (sliceRows < 1) {
            throw new IllegalArgumentException("slice rows must be at least 1, got " + sliceRows);
        }
        this.name = name;
        this.morsels = List.copyOf(morsels);
        int slices = 0;
        for (Morsel m : this.morsels) {
            slices += Math.max(1, (m.rowCount() + sliceRows - 1) / sliceRows);
        }
        this.sliceMorsel = new int[slices];
        this.sliceFrom = new int[slices];
        this.sliceRows = new int[slices];
        int s = 0;
        for (int i = 0; i < this.morsels.size(); i++) {
            int rows = this.morsels.get(i).rowCount();
            int from = 0;
            do {
                sliceMorsel[s] = i;
                sliceFrom[s] = from;
                this.sliceRows[s] = Math.min(sliceRows, rows - from);
                from += sliceRows;
                s++;
            } while (from < rows);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Morsel next(TaskContext ctx) {
        int i = next.getAndIncrement();
        if (i >= sliceMorsel.length) {
            return null;
        }
        Morsel m = morsels.get(sliceMorsel[i]);
        if (sliceFrom[i] == 0 && sliceRows[i] == m.rowCount()) {
            return m.withSequence(i);
        }
        return m.slice(sliceFrom[i], sliceRows[i], i);
    }
}
