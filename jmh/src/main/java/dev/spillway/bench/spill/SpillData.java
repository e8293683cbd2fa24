package dev.spillway.bench.spill;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Float64Builder;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.Utf8Builder;

import java.util.List;
import java.util.SplittableRandom;

/** The three data shapes of the spill benchmarks, one 128k-row morsel each. */
public enum SpillData {
    /** Sequential int64: highly compressible. */
    SEQUENTIAL_INT64,
    /** Uniform random float64: barely compressible. */
    RANDOM_FLOAT64,
    /** 64-character strings from a small alphabet with shared structure. */
    STRING64;

    /** The morsel's schema. */
    public Schema schema() {
        return switch (this) {
            case SEQUENTIAL_INT64 -> Schema.of(Field.of("v", DataType.INT64));
            case RANDOM_FLOAT64 -> Schema.of(Field.of("v", DataType.FLOAT64));
            case STRING64 -> Schema.of(Field.of("v", DataType.UTF8));
        };
    }

    /** Builds one morsel of {@link Morsel#DEFAULT_ROWS} rows. */
    public Morsel build(BlockPool pool, MemoryBudget budget) {
        int rows = Morsel.DEFAULT_ROWS;
        SplittableRandom rnd = new SplittableRandom(7);
        ColumnVector v;
        switch (this) {
            case SEQUENTIAL_INT64 -> {
                try (Int64Builder b = (Int64Builder) ColumnBuilder.create(DataType.INT64, pool, budget, rows)) {
                    for (int i = 0; i < rows; i++) {
                        b.append(i);
                    }
                    v = b.build();
                }
            }
            case RANDOM_FLOAT64 -> {
                try (Float64Builder b = (Float64Builder) ColumnBuilder.create(DataType.FLOAT64, pool, budget, rows)) {
                    for (int i = 0; i < rows; i++) {
                        b.append(rnd.nextDouble());
                    }
                    v = b.build();
                }
            }
            default -> {
                try (Utf8Builder b = (Utf8Builder) ColumnBuilder.create(DataType.UTF8, pool, budget, rows)) {
                    StringBuilder sb = new StringBuilder(64);
                    for (int i = 0; i < rows; i++) {
                        sb.setLength(0);
                        sb.append("customer-").append(rnd.nextInt(100_000)).append('-');
                        while (sb.length() < 64) {
                            sb.append((char) ('a' + rnd.nextInt(26)));
                        }
                        b.append(sb.toString());
                    }
                    v = b.build();
                }
            }
        }
        return new Morsel(schema(), List.of(v), rows, 0);
    }
}
