package dev.spillway.formats.parquet;

import dev.spillway.options.ParquetWriteOptions;

import dev.spillway.event.EventSink;
import dev.spillway.errors.FormatException;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.types.Schema;
import dev.spillway.operators.OrderedFileSink;
import dev.spillway.operators.PartitionedFileSink;
import dev.spillway.options.Partitioning;

import java.nio.file.Path;

/**
 * Writes a query's result to a Parquet file in source order, streaming, atomically (see
 * {@link OrderedFileSink}): a {@link ParquetFileWriter} takes the morsels and holds at most one
 * row group.
 */
public final class ParquetSink extends OrderedFileSink {
    /** Creates the sink (and the temporary file). */
    public ParquetSink(Path target, Schema schema, ParquetWriteOptions options) {
        super(target, "Parquet", (file, message, cause) -> new FormatException(file, null, message, cause),
                file -> new ParquetFileWriter(file, schema, options));
    }

    /**
     * A sink writing hive-style partition directories of Parquet files ({@code dir/k=v/part-00000.parquet}),
     * see {@link PartitionedFileSink}; gathered rows are charged to {@code budget}.
     */
    public static PartitionedFileSink partitioned(Path dir, Schema schema, ParquetWriteOptions options,
            Partitioning partitioning, BlockPool pool, MemoryBudget budget, EventSink events) {
        return new PartitionedFileSink(dir, schema, partitioning, "Parquet", "parquet",
                (file, s) -> new ParquetFileWriter(file, s, options),
                (file, message, cause) -> new FormatException(file, null, message, cause), pool, budget, events);
    }
}
