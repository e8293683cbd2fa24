package dev.spillway.formats.parquet;

import dev.spillway.formats.FormatException;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;
import dev.spillway.scheduler.ReorderBuffer;
import dev.spillway.scheduler.Sink;
import dev.spillway.scheduler.TaskContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a query's result to a Parquet file in source order, streaming: morsels are put back in
 * order with a {@link ReorderBuffer} and handed to a {@link ParquetFileWriter}, which holds at most
 * one row group. Writes go to a temporary file beside the target that replaces it only when the
 * query succeeds; a failed or cancelled query leaves no partial file.
 */
public final class ParquetSink implements Sink<Void> {
    private final Path target;
    private final Path temp;
    private final ParquetFileWriter writer;
    private final ReorderBuffer<Morsel> reorder = new ReorderBuffer<>();
    private boolean committed;

    /** Creates the sink (and the temporary file). */
    public ParquetSink(Path target, Schema schema, ParquetWriteOptions options) {
        this.target = target.toAbsolutePath();
        Path dir = this.target.getParent();
        try {
            this.temp = Files.createTempFile(dir, "." + this.target.getFileName() + ".", ".tmp");
        } catch (IOException e) {
            throw new FormatException(this.target, null, "cannot create a file in " + dir + ": " + e.getMessage(), e);
        }
        this.writer = new ParquetFileWriter(temp, schema, options);
    }

    @Override
    public String name() {
        return "sink parquet " + target.getFileName();
    }

    @Override
    public Void createLocal(TaskContext ctx) {
        return null;
    }

    @Override
    public void consume(Void local, Morsel morsel, TaskContext ctx) {
        reorder.add(morsel.sequence(), morsel, writer::write);
    }

    @Override
    public void skip(Void local, long sequence, TaskContext ctx) {
        reorder.skip(sequence, writer::write);
    }

    @Override
    public void combine(Void local, TaskContext ctx) {
    }

    @Override
    public void finish(TaskContext ctx) {
        if (reorder.waitingCount() != 0) {
            throw new IllegalStateException("Parquet sink missing morsel " + reorder.nextSequence() + " of its input");
        }
        writer.close();
        try {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new FormatException(target, null, "cannot move " + temp + " into place: " + e.getMessage(), e);
        }
        committed = true;
    }

    /** Rows written. */
    public long rows() {
        return writer.rows();
    }

    @Override
    public void close() {
        reorder.drain().forEach(Morsel::close);
        try {
            writer.abort();
        } finally {
            if (!committed) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    throw new FormatException(temp, null, "cannot delete: " + e.getMessage(), e);
                }
            }
        }
    }
}
