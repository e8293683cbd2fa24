package dev.spillway.formats.parquet;

import dev.spillway.formats.FormatException;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.operators.OrderedFileSink;
import dev.spillway.operators.PartitionedFileSink;
import dev.spillway.operators.Partitioning;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Writes a query's result to a Parquet file in source order, streaming, atomically (see
 * {@link OrderedFileSink}): a {@link ParquetFileWriter} takes the morsels and holds at most one
 * row group.
 */
public final class ParquetSink extends OrderedFileSink {
    private final ParquetFileWriter writer;

    /** Creates the sink (and the temporary file). */
    public ParquetSink(Path target, Schema schema, ParquetWriteOptions options) {
        super(target, "Parquet", (file, message, cause) -> new FormatException(file, null, message, cause));
        this.writer = new ParquetFileWriter(temp(), schema, options);
    }

    @Override
    protected void write(Morsel m) {
        writer.write(m);
    }

    @Override
    protected void completeWriter() {
        writer.close();
    }

    @Override
    protected void abortWriter() {
        writer.abort();
    }

    /**
     * A sink writing hive-style partition directories of Parquet files ({@code dir/k=v/part-00000.parquet}),
     * see {@link PartitionedFileSink}; gathered rows are charged to {@code budget}.
     */
    public static PartitionedFileSink partitioned(Path dir, Schema schema, ParquetWriteOptions options,
            Partitioning partitioning, BlockPool pool, MemoryBudget budget, Consumer<String> events) {
        return new PartitionedFileSink(dir, schema, partitioning, "Parquet", "parquet", (file, s) -> {
            ParquetFileWriter w = new ParquetFileWriter(file, s, options);
            return new PartitionedFileSink.PartWriter() {
                @Override
                public void write(Morsel m) {
                    w.write(m);
                }

                @Override
                public long bufferedBytes() {
                    return w.bufferedBytes();
                }

                @Override
                public void flush() {
                    w.flush();
                }

                @Override
                public void complete() {
                    w.finish(false);
                }

                @Override
                public void abort() {
                    w.abort();
                }
            };
        }, (file, message, cause) -> new FormatException(file, null, message, cause), pool, budget, events);
    }

    /** Rows written. */
    public long rows() {
        return writer.rows();
    }
}
