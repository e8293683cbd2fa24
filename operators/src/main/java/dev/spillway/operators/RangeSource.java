package dev.spillway.operators;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.scheduler.Source;
import dev.spillway.scheduler.TaskContext;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** The int64 values {@code [start, end)} in morsels, generated in parallel. */
public final class RangeSource implements Source {
    private final String column;
    private final long start;
    private final long end;
    private final int morselRows;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final Schema schema;
    private final AtomicLong next = new AtomicLong();

    /** Creates the source. */
    public RangeSource(String column, long start, long end, int morselRows, BlockPool pool, MemoryBudget budget) {
        if (morselRows < 1) {
            throw new IllegalArgumentException("morsel rows must be >= 1, got " + morselRows);
        }
        this.column = column;
        this.start = start;
        this.end = end;
        this.morselRows = morselRows;
        this.pool = pool;
        this.budget = budget;
        this.schema = Schema.of(new Field(column, DataType.INT64, false));
    }

    @Override
    public String name() {
        return "range " + column + " [" + start + ", " + end + ")";
    }

    @Override
    public Morsel next(TaskContext ctx) {
        long chunk = next.getAndIncrement();
        long from = start + chunk * morselRows;
        if (from >= end || from < start) {
            return null;
        }
        int n = (int) Math.min(morselRows, end - from);
        try (Int64Builder b = (Int64Builder) ColumnBuilder.create(DataType.INT64, pool, budget, n)) {
            for (int i = 0; i < n; i++) {
                b.append(from + i);
            }
            return new Morsel(schema, List.of(b.build()), n, chunk);
        }
    }
}
