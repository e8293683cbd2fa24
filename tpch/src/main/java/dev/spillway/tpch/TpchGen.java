package dev.spillway.tpch;

import dev.spillway.formats.parquet.ParquetFileWriter;
import dev.spillway.options.ParquetWriteOptions;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Decimal128Builder;
import dev.spillway.types.DecimalType;
import dev.spillway.memory.Float64Builder;
import dev.spillway.memory.Int32Builder;
import dev.spillway.memory.Int64Builder;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.Utf8Builder;
import dev.spillway.operators.MorselFileWriter;
import dev.spillway.options.CsvOptions;
import dev.spillway.operators.csv.CsvWriter;
import io.trino.tpch.TpchColumn;
import io.trino.tpch.TpchColumnType;
import io.trino.tpch.TpchEntity;
import io.trino.tpch.TpchTable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Writes the eight TPC-H tables at a scale factor, one file per table ({@code DIR/lineitem.parquet}
 * or {@code DIR/lineitem.csv} with a header), with the column names and types of
 * {@link TpchSchema}. Rows come from dbgen's Java port and are fed to Spillway's own Parquet or
 * CSV writer in chunks of {@link #CHUNK_ROWS} rows, so memory does not grow with the scale factor:
 * at most a Parquet row group per table being written is held. Each file is written under a
 * temporary name and renamed when complete, so a directory never holds a truncated table.
 *
 * <p>Thread-safe: the tables of {@link #writeAll} are written in parallel, each by one thread.
 */
public final class TpchGen {
    /** Rows per chunk handed to the file writer. */
    public static final int CHUNK_ROWS = 65_536;

    /** Output file format. */
    public enum Format {
        /** Parquet, zstd, Spillway's writer defaults. */
        PARQUET("parquet"),
        /** CSV with a header line, comma-separated. */
        CSV("csv");

        private final String extension;

        Format(String extension) {
            this.extension = extension;
        }

        /** The file name extension, without the dot. */
        public String extension() {
            return extension;
        }

        /**
         * Parses {@code parquet} or {@code csv} (any case).
         *
         * @throws IllegalArgumentException for anything else, naming the valid values
         */
        public static Format parse(String s) {
            for (Format f : values()) {
                if (f.extension.equalsIgnoreCase(s)) {
                    return f;
                }
            }
            throw new IllegalArgumentException("unknown format '" + s + "'; valid formats are parquet and csv");
        }
    }

    private final double scale;
    private final Format format;
    private final BlockPool pool;
    private final MemoryBudget budget;

    /**
     * A generator charging its chunk buffers to {@code budget}.
     *
     * @param scale  the scale factor (1 = 6M lineitem rows, about 1 GB of CSV); above 0
     * @throws IllegalArgumentException for a scale factor that is not a positive finite number
     */
    public TpchGen(double scale, Format format, BlockPool pool, MemoryBudget budget) {
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("the scale factor must be a positive number such as 0.1, 1 or 10, got " + scale);
        }
        this.scale = scale;
        this.format = format;
        this.pool = pool;
        this.budget = budget;
    }

    /**
     * Generates every table into {@code dir} (created if missing) with its own block pool and a
     * 1 GiB budget, on up to {@code threads} threads.
     *
     * @return rows written per table, in {@link TpchSchema#tables()} order
     */
    public static Map<String, Long> generate(double scale, Path dir, Format format, int threads) {
        try (BlockPool pool = new BlockPool(); MemoryBudget budget = MemoryBudget.root("tpch-gen", 1L << 30)) {
            pool.chargeIdleTo(budget);
            return new TpchGen(scale, format, pool, budget).writeAll(dir, threads);
        }
    }

    /** The file of {@code table} in {@code dir} for {@code format}. */
    public static Path file(Path dir, String table, Format format) {
        return dir.resolve(table + "." + format.extension());
    }

    /**
     * Writes all eight tables into {@code dir}, largest first, on up to {@code threads} threads.
     *
     * @return rows written per table, in {@link TpchSchema#tables()} order
     * @throws UncheckedIOException when the directory or a file cannot be written
     */
    public Map<String, Long> writeAll(Path dir, int threads) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the output directory " + dir + ": " + e.getMessage(), e);
        }
        List<String> order = new ArrayList<>(TpchSchema.tables()).reversed();
        Map<String, Future<Long>> running = new LinkedHashMap<>();
        try (ExecutorService executor = Executors.newFixedThreadPool(Math.max(1, threads))) {
            for (String t : order) {
                running.put(t, executor.submit(() -> write(t, file(dir, t, format))));
            }
            Map<String, Long> rows = new LinkedHashMap<>();
            for (String t : TpchSchema.tables()) {
                rows.put(t, running.get(t).get());
            }
            return rows;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while generating TPC-H data", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("generating TPC-H data failed: " + e.getCause(), e.getCause());
        }
    }

    /**
     * Writes one table to {@code target} (replacing it atomically when complete).
     *
     * @return rows written
     */
    public long write(String table, Path target) {
        Schema schema = TpchSchema.schema(table);
        TpchTable<?> source = TpchTable.getTable(table);
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        long rows = writeRows(source, schema, partial);
        try {
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rename " + partial + " to " + target + ": " + e.getMessage(), e);
        }
        return rows;
    }

    private <E extends TpchEntity> long writeRows(TpchTable<E> source, Schema schema, Path file) {
        List<Appender<E>> appenders = appenders(source, schema);
        MorselFileWriter writer = switch (format) {
            case PARQUET -> new ParquetFileWriter(file, schema, ParquetWriteOptions.defaults());
            case CSV -> new CsvWriter(file, schema, CsvOptions.defaults().withHeader(true));
        };
        boolean done = false;
        long rows = 0;
        long sequence = 0;
        ColumnBuilder[] builders = new ColumnBuilder[schema.size()];
        try {
            int inChunk = 0;
            for (E row : source.createGenerator(scale, 1, 1)) {
                if (inChunk == 0) {
                    for (int c = 0; c < builders.length; c++) {
                        builders[c] = ColumnBuilder.create(schema.field(c), pool, budget, CHUNK_ROWS);
                    }
                }
                for (int c = 0; c < builders.length; c++) {
                    appenders.get(c).append(builders[c], row);
                }
                rows++;
                if (++inChunk == CHUNK_ROWS) {
                    writer.write(seal(schema, builders, inChunk, sequence++));
                    inChunk = 0;
                }
            }
            if (inChunk > 0) {
                writer.write(seal(schema, builders, inChunk, sequence));
            }
            writer.complete(true);
            done = true;
            return rows;
        } finally {
            for (ColumnBuilder b : builders) {
                if (b != null) {
                    b.close();
                }
            }
            if (!done) {
                writer.abort();
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    // The generation failure is what matters; a leftover .partial file is never read.
                }
            }
        }
    }

    private static Morsel seal(Schema schema, ColumnBuilder[] builders, int rows, long sequence) {
        List<ColumnVector> columns = new ArrayList<>(builders.length);
        try {
            for (int c = 0; c < builders.length; c++) {
                columns.add(builders[c].build());
                builders[c] = null;
            }
            return new Morsel(schema, columns, rows, sequence);
        } catch (RuntimeException e) {
            columns.forEach(ColumnVector::close);
            throw e;
        }
    }

    /** Copies one column of a generated row into a builder. */
    @FunctionalInterface
    private interface Appender<E> {
        void append(ColumnBuilder b, E row);
    }

    private static <E extends TpchEntity> List<Appender<E>> appenders(TpchTable<E> source, Schema schema) {
        List<Appender<E>> out = new ArrayList<>();
        for (Field f : schema) {
            TpchColumn<E> c = source.getColumn(f.name());
            out.add(appender(c, f));
        }
        return out;
    }

    private static <E extends TpchEntity> Appender<E> appender(TpchColumn<E> c, Field field) {
        TpchColumnType.Base base = c.getType().getBase();
        DataType type = field.type();
        return switch (type) {
            case INT64 -> base == TpchColumnType.Base.INTEGER
                    ? (b, r) -> ((Int64Builder) b).append(c.getInteger(r))
                    : (b, r) -> ((Int64Builder) b).append(c.getIdentifier(r));
            case INT32 -> (b, r) -> ((Int32Builder) b).append(c.getInteger(r));
            case DATE32 -> (b, r) -> ((Int32Builder) b).append(c.getDate(r));
            case FLOAT64 -> (b, r) -> ((Float64Builder) b).append(c.getDouble(r));
            case UTF8 -> (b, r) -> ((Utf8Builder) b).append(c.getString(r));
            case DECIMAL128 -> {
                if (base != TpchColumnType.Base.DOUBLE && base != TpchColumnType.Base.INTEGER) {
                    throw new IllegalStateException(String.format(Locale.ROOT, "TPC-H column %s (%s) cannot be stored as %s",
                            c.getColumnName(), base, field.typeName()));
                }
                // dbgen keeps money as whole cents; the double it hands out is cents / 100, whose
                // nearest multiple of 10^-scale is the exact value (the magnitudes are far below 2^53).
                long unit = DecimalType.longPow10(field.decimal().scale());
                yield base == TpchColumnType.Base.INTEGER
                        ? (b, r) -> ((Decimal128Builder) b).appendUnscaled(c.getInteger(r) * unit)
                        : (b, r) -> ((Decimal128Builder) b).appendUnscaled(Math.round(c.getDouble(r) * unit));
            }
            case BOOLEAN, TIMESTAMP -> throw new IllegalStateException(String.format(Locale.ROOT,
                    "TPC-H column %s (%s) cannot be stored as %s", c.getColumnName(), base, type.displayName()));
        };
    }
}
