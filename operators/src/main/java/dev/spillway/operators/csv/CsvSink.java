package dev.spillway.operators.csv;

import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;
import dev.spillway.scheduler.ReorderBuffer;
import dev.spillway.scheduler.Sink;
import dev.spillway.scheduler.TaskContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a query's result to a CSV file in source order, streaming: morsels are put back in order
 * with a {@link ReorderBuffer} and written as soon as they are next, so at most the morsels in
 * flight wait in memory. Writes go to a temporary file beside the target that replaces it only
 * when the query succeeds; a failed or cancelled query leaves no partial file.
 */
public final class CsvSink implements Sink<Void> {
    private final Path target;
    private final Path temp;
    private final CsvWriter writer;
    private final ReorderBuffer<Morsel> reorder = new ReorderBuffer<>();
    private boolean committed;

    /** Creates the sink (and the temporary file). */
    public CsvSink(Path target, Schema schema, CsvOptions options) {
        this.target = target.toAbsolutePath();
        Path dir = this.target.getParent();
        try {
            this.temp = Files.createTempFile(dir, "." + this.target.getFileName() + ".", ".tmp");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to " + dir + ": " + e.getMessage(), e);
        }
        this.writer = new CsvWriter(temp, schema, options);
    }

    @Override
    public String name() {
        return "sink csv " + target.getFileName();
    }

    @Override
    public Void createLocal(TaskContext ctx) {
        return null;
    }

    @Override
    public void consume(Void local, Morsel morsel, TaskContext ctx) {
        reorder.add(morsel.sequence(), morsel, m -> {
            try (m) {
                writer.write(m);
            }
        });
    }

    /** A morsel an operator dropped whole still advances the order. */
    @Override
    public void skip(Void local, long sequence, TaskContext ctx) {
        reorder.skip(sequence, m -> {
            try (m) {
                writer.write(m);
            }
        });
    }

    @Override
    public void combine(Void local, TaskContext ctx) {
    }

    @Override
    public void finish(TaskContext ctx) {
        if (reorder.waitingCount() != 0) {
            throw new IllegalStateException("CSV sink missing morsel " + reorder.nextSequence() + " of its input");
        }
        writer.close();
        try {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + temp + " to " + target + ": " + e.getMessage(), e);
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
            writer.close();
        } finally {
            if (!committed) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot delete " + temp + ": " + e.getMessage(), e);
                }
            }
        }
    }
}
