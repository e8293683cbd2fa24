package dev.spillway;

import dev.spillway.formats.ipc.IpcSink;
import dev.spillway.formats.parquet.ParquetSink;
import dev.spillway.options.ParquetWriteOptions;
import dev.spillway.options.CsvOptions;
import dev.spillway.operators.csv.CsvSink;
import dev.spillway.scheduler.Sink;

import java.nio.file.Path;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * One output of {@link Spillway#sinkAll}: a frame and the file it is written to (CSV, Parquet or
 * Arrow IPC), with the same options and guarantees as {@link LazyFrame#sinkCsv},
 * {@link LazyFrame#sinkParquet} and {@link LazyFrame#sinkIpc}.
 *
 * <pre>{@code
 * LazyFrame big = sw.scanCsv(in).filter(col("amount").gt(lit(100))).cache();
 * long[] rows = sw.sinkAll(
 *         SinkTarget.csv(big, Path.of("big.csv")),
 *         SinkTarget.parquet(big.groupBy("region").agg(col("amount").sum()), Path.of("by-region.parquet")));
 * }</pre>
 */
public final class SinkTarget {
    /** A created sink and how to read its row count after the run. */
    record Opened(Sink<?> sink, LongSupplier rows) {
    }

    @FunctionalInterface
    private interface Opener {
        Opened open(LazyFrame frame, Path path);
    }

    private final LazyFrame frame;
    private final Path path;
    private final String format;
    private final Opener opener;

    private SinkTarget(LazyFrame frame, Path path, String format, Opener opener) {
        this.frame = Objects.requireNonNull(frame, "frame");
        this.path = Objects.requireNonNull(path, "path");
        this.format = format;
        this.opener = opener;
    }

    /** {@code frame} written to a CSV file with a header. */
    public static SinkTarget csv(LazyFrame frame, Path path) {
        return csv(frame, path, CsvOptions.defaults());
    }

    /** {@code frame} written to a CSV file with options (delimiter, quote, null string, header). */
    public static SinkTarget csv(LazyFrame frame, Path path, CsvOptions options) {
        Objects.requireNonNull(options, "options");
        return new SinkTarget(frame, path, "CSV", (f, p) -> {
            CsvSink s = new CsvSink(p, f.schema(), options);
            return new Opened(s, s::rows);
        });
    }

    /** {@code frame} written to a Parquet file (zstd, 262,144 rows per row group). */
    public static SinkTarget parquet(LazyFrame frame, Path path) {
        return parquet(frame, path, ParquetWriteOptions.defaults());
    }

    /** {@code frame} written to a Parquet file with options (codec, row-group size). */
    public static SinkTarget parquet(LazyFrame frame, Path path, ParquetWriteOptions options) {
        Objects.requireNonNull(options, "options");
        return new SinkTarget(frame, path, "Parquet", (f, p) -> {
            ParquetSink s = new ParquetSink(p, f.schema(), options);
            return new Opened(s, s::rows);
        });
    }

    /** {@code frame} written to an Arrow IPC file (Feather v2, uncompressed). */
    public static SinkTarget ipc(LazyFrame frame, Path path) {
        return new SinkTarget(frame, path, "Arrow IPC", (f, p) -> {
            IpcSink s = new IpcSink(p, f.schema());
            return new Opened(s, s::rows);
        });
    }

    /** The frame written. */
    public LazyFrame frame() {
        return frame;
    }

    /** The file written. */
    public Path path() {
        return path;
    }

    /** The format's name: {@code CSV}, {@code Parquet} or {@code Arrow IPC}. */
    public String format() {
        return format;
    }

    /** Creates the sink (and its temporary file). */
    Opened open() {
        return opener.open(frame, path);
    }

    @Override
    public String toString() {
        return format + " " + path + " <- " + frame;
    }
}
