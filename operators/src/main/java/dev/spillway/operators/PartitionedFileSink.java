package dev.spillway.operators;

import dev.spillway.options.Partitioning;

import dev.spillway.event.EventSink;
import dev.spillway.event.PartitionedSinkFinished;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.scheduler.ReorderBuffer;
import dev.spillway.scheduler.Sink;
import dev.spillway.scheduler.TaskContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The common part of the partitioned file sinks (CSV, Parquet, Arrow IPC): writes a query's
 * result into hive-style directories {@code dir/col=value/part-00000.ext} (see
 * {@link Partitioning}), with at most {@code maxOpenFiles} writers open at once.
 *
 * <p>Morsels are put back in source order with a {@link ReorderBuffer} (so part numbering and the
 * row order inside each file are deterministic) and split by partition value: a morsel of one
 * value is handed on as a zero-copy projection, otherwise the rows of each value are gathered
 * ({@link ColumnBuilder#appendGather}) into a morsel charged to the query's budget. Writers live
 * in an access-ordered map; opening one more than the cap first finishes the least recently
 * written. Writers that buffer rows (Parquet row groups) are asked to flush their largest buffer
 * when all of them together hold more than {@link #MAX_BUFFERED_BYTES}.
 *
 * <p>Files are written under a hidden staging directory inside {@code dir} and moved into place
 * only when the query succeeds; a failed or cancelled query leaves no file behind. The target
 * directory must be missing or empty. Part files are not forced to disk one by one (a sink may
 * write thousands, and an fsync each would dominate its run time); the moves into place are
 * atomic renames.
 */
public final class PartitionedFileSink implements Sink<Void>, StagedOutput {
    /** Bytes the open writers may buffer together before the largest buffer is flushed. */
    public static final long MAX_BUFFERED_BYTES = 64L << 20;

    /** Opens the writer of one part file. */
    @FunctionalInterface
    public interface PartWriterFactory {
        /** A writer creating {@code file} with the columns {@code schema}. */
        MorselFileWriter open(Path file, Schema schema);
    }

    private record Part(String key, Path file, MorselFileWriter writer) {
    }

    private final Path dir;
    private final String format;
    private final String extension;
    private final Partitioning partitioning;
    private final PartWriterFactory factory;
    private final OrderedFileSink.IoFailure ioFailure;
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final EventSink events;
    private final int[] keyColumns;
    private final int[] dataColumns;
    private final Schema dataSchema;
    private final boolean createdDir;
    private final Path staging;
    private final ReorderBuffer<Morsel> reorder = new ReorderBuffer<>();
    // Scratch of write(), which runs under the reorder lock; reused from morsel to morsel.
    private final KeyGroups keyGroups;
    private int[] groupKeyIndex = new int[16];
    private int[] rowsByKey = new int[0];
    private int[] rowsOfKey = new int[0];
    /** Open writers by partition key, least recently written first. */
    private final LinkedHashMap<String, Part> open = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<String, Integer> partsPerKey = new HashMap<>();
    private final List<Path> staged = new ArrayList<>();
    private long rows;
    private int maxOpen;
    private int evictions;
    private int flushes;
    private boolean committed;

    /**
     * Checks the partition columns and creates the staging directory.
     *
     * @param dir       the target directory (created if missing; must be empty)
     * @param schema    the columns of the result
     * @param format    the format's name in messages, e.g. {@code Parquet}
     * @param extension the part files' extension without the dot, e.g. {@code parquet}
     * @param factory   opens a part file's writer
     * @param ioFailure how file-system failures are reported
     * @param events    receives a {@link PartitionedSinkFinished} event when the sink finishes; may be null
     * @throws IllegalArgumentException for an unknown, floating-point or repeated partition column,
     *                                  or when no column would be left for the files
     */
    public PartitionedFileSink(Path dir, Schema schema, Partitioning partitioning, String format, String extension,
            PartWriterFactory factory, OrderedFileSink.IoFailure ioFailure, BlockPool pool, MemoryBudget budget,
            EventSink events) {
        this.dir = dir.toAbsolutePath();
        this.format = format;
        this.extension = extension;
        this.partitioning = partitioning;
        this.factory = factory;
        this.ioFailure = ioFailure;
        this.pool = pool;
        this.budget = budget;
        this.events = events;
        List<String> keys = partitioning.columns();
        this.keyColumns = new int[keys.size()];
        for (int k = 0; k < keys.size(); k++) {
            int c = schema.indexOf(keys.get(k));
            if (c < 0) {
                throw new IllegalArgumentException("partition column '" + keys.get(k) + "' not found; available: "
                        + String.join(", ", schema.names()));
            }
            if (schema.field(c).type() == DataType.FLOAT64) {
                throw new IllegalArgumentException("partition column '" + keys.get(k) + "' is float64; partition by an "
                        + "int32, int64, date, boolean or string column (cast or bucket the value first)");
            }
            keyColumns[k] = c;
        }
        this.keyGroups = new KeyGroups(keyColumns);
        if (keys.size() == schema.size()) {
            throw new IllegalArgumentException("every column is a partition column (" + keys + "); the files would have "
                    + "no column left");
        }
        this.dataColumns = new int[schema.size() - keys.size()];
        List<Field> data = new ArrayList<>();
        for (int c = 0, d = 0; c < schema.size(); c++) {
            if (!keys.contains(schema.field(c).name())) {
                dataColumns[d++] = c;
                data.add(schema.field(c));
            }
        }
        this.dataSchema = new Schema(data);
        try {
            if (Files.exists(this.dir) && !Files.isDirectory(this.dir)) {
                throw ioFailure.of(this.dir, "exists and is not a directory; a partitioned sink writes a directory", null);
            }
            if (Files.isDirectory(this.dir)) {
                try (Stream<Path> entries = Files.list(this.dir)) {
                    if (entries.findAny().isPresent()) {
                        throw ioFailure.of(this.dir, "is not empty; a partitioned sink needs a new or empty directory", null);
                    }
                }
                this.createdDir = false;
            } else {
                Files.createDirectories(this.dir);
                this.createdDir = true;
            }
            this.staging = Files.createTempDirectory(this.dir, ".spillway-staging-");
        } catch (IOException e) {
            throw ioFailure.of(this.dir, "cannot create the directory: " + e.getMessage(), e);
        }
    }

    /** The hidden staging directory inside the target directory ({@code .spillway-staging-<digits>}). */
    @Override
    public Path stagingPath() {
        return staging;
    }

    @Override
    public String name() {
        return "sink " + format.toLowerCase(Locale.ROOT) + " " + dir.getFileName() + " partitioned by "
                + partitioning.columns();
    }

    /** The columns written into the files (the result's columns less the partition columns). */
    public Schema fileSchema() {
        return dataSchema;
    }

    @Override
    public Void createLocal(TaskContext ctx) {
        return null;
    }

    @Override
    public void consume(Void local, Morsel morsel, TaskContext ctx) {
        reorder.add(morsel.sequence(), morsel, this::write);
    }

    @Override
    public void skip(Void local, long sequence, TaskContext ctx) {
        reorder.skip(sequence, this::write);
    }

    @Override
    public void combine(Void local, TaskContext ctx) {
    }

    // ------------------------------------------------------------------ writing (under the reorder lock)

    private void write(Morsel m) {
        try (m) {
            int n = m.rowCount();
            if (n == 0) {
                return;
            }
            // Rows are grouped by value without boxing; only each group's first row is turned into
            // its key, and groups whose values give the same key (null and "") are merged.
            int groups = keyGroups.group(m);
            int[] rowGroup = keyGroups.rowGroups();
            Map<String, Integer> keyIndex = new LinkedHashMap<>();
            int[] keyOfGroup = groupKeys(groups);
            StringBuilder sb = new StringBuilder(64);
            for (int g = 0; g < groups; g++) {
                sb.setLength(0);
                int row = keyGroups.firstRow(g);
                for (int k = 0; k < keyColumns.length; k++) {
                    if (k > 0) {
                        sb.append('/');
                    }
                    sb.append(HivePath.segment(partitioning.columns().get(k), m.column(keyColumns[k]).getObject(row)));
                }
                keyOfGroup[g] = keyIndex.computeIfAbsent(sb.toString(), key -> keyIndex.size());
            }
            rows += n;
            List<String> keys = new ArrayList<>(keyIndex.keySet());
            if (keys.size() == 1) {
                writeTo(keys.get(0), m.select(dataColumns));
                return;
            }
            // counting sort of the rows by key, keeping the source order within a key
            int[] start = new int[keys.size() + 1];
            for (int r = 0; r < n; r++) {
                start[keyOfGroup[rowGroup[r]] + 1]++;
            }
            for (int k = 0; k < keys.size(); k++) {
                start[k + 1] += start[k];
            }
            int[] fill = start.clone();
            int[] byKey = rowScratch(n);
            for (int r = 0; r < n; r++) {
                byKey[fill[keyOfGroup[rowGroup[r]]]++] = r;
            }
            int[] rowsOfKey = keyRowScratch(n);
            for (int k = 0; k < keys.size(); k++) {
                int count = start[k + 1] - start[k];
                System.arraycopy(byKey, start[k], rowsOfKey, 0, count);
                writeTo(keys.get(k), gather(m, rowsOfKey, count));
            }
        }
    }

    /** The reused array of each group's key index, for {@code groups} groups. */
    private int[] groupKeys(int groups) {
        if (groupKeyIndex.length < groups) {
            groupKeyIndex = new int[Math.max(groups, 2 * groupKeyIndex.length)];
        }
        return groupKeyIndex;
    }

    /** The reused array of the rows ordered by key, for {@code n} rows. */
    private int[] rowScratch(int n) {
        if (rowsByKey.length < n) {
            rowsByKey = new int[n];
        }
        return rowsByKey;
    }

    /** The reused array of one key's rows (the gather reads them from index 0), for up to {@code n} rows. */
    private int[] keyRowScratch(int n) {
        if (rowsOfKey.length < n) {
            rowsOfKey = new int[n];
        }
        return rowsOfKey;
    }

    private Morsel gather(Morsel m, int[] rowsOfKey, int count) {
        List<ColumnVector> cols = new ArrayList<>(dataColumns.length);
        try {
            for (int c : dataColumns) {
                try (ColumnBuilder b = ColumnBuilder.create(m.schema().field(c), pool, budget, count)) {
                    b.appendGather(new ColumnVector[] {m.column(c)}, null, rowsOfKey, count);
                    cols.add(b.build());
                }
            }
        } catch (RuntimeException e) {
            cols.forEach(ColumnVector::close);
            throw e;
        }
        return new Morsel(dataSchema, cols, count, m.sequence());
    }

    private void writeTo(String key, Morsel part) {
        Part p;
        try {
            p = open.get(key);
            if (p == null) {
                if (open.size() >= partitioning.maxOpenFiles()) {
                    Iterator<Part> eldest = open.values().iterator();
                    Part evicted = eldest.next();
                    eldest.remove();
                    evictions++;
                    evicted.writer().complete(false);
                }
                p = openPart(key);
            }
        } catch (RuntimeException e) {
            part.close();
            throw e;
        }
        p.writer().write(part);
        long buffered = 0;
        Part largest = null;
        for (Part o : open.values()) {
            long b = o.writer().bufferedBytes();
            buffered += b;
            if (largest == null || b > largest.writer().bufferedBytes()) {
                largest = o;
            }
        }
        if (buffered > MAX_BUFFERED_BYTES && largest != null) {
            largest.writer().flush();
            flushes++;
        }
    }

    private Part openPart(String key) {
        int number = partsPerKey.merge(key, 1, Integer::sum) - 1;
        Path rel = Path.of(key).resolve(String.format(Locale.ROOT, "part-%05d.%s", number, extension));
        Path file = staging.resolve(rel);
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw ioFailure.of(file.getParent(), "cannot create the directory: " + e.getMessage(), e);
        }
        MorselFileWriter w = factory.open(file, dataSchema);
        Part p = new Part(key, file, w);
        open.put(key, p);
        staged.add(rel);
        maxOpen = Math.max(maxOpen, open.size());
        return p;
    }

    // ------------------------------------------------------------------ completion

    @Override
    public void finish(TaskContext ctx) {
        if (reorder.waitingCount() != 0) {
            throw new IllegalStateException(format + " sink missing morsel " + reorder.nextSequence() + " of its input");
        }
        synchronized (reorder) {
            for (Iterator<Part> it = open.values().iterator(); it.hasNext();) {
                Part p = it.next();
                it.remove();
                p.writer().complete(false);
            }
        }
        for (Path rel : staged) {
            Path target = dir.resolve(rel);
            try {
                Files.createDirectories(target.getParent());
                Files.move(staging.resolve(rel), target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw ioFailure.of(target, "cannot move " + staging.resolve(rel) + " into place: " + e.getMessage(), e);
            }
        }
        committed = true;
        deleteTree(staging);
        if (events != null) {
            events.accept(new PartitionedSinkFinished(format.toLowerCase(Locale.ROOT), dir, partsPerKey.size(), staged.size(), rows,
                    maxOpen, partitioning.maxOpenFiles(), evictions, flushes));
        }
    }

    /** Rows written. */
    public long rows() {
        return rows;
    }

    /** Distinct partition values (directories) written. */
    public int partitions() {
        return partsPerKey.size();
    }

    /** Part files written. */
    public int files() {
        return staged.size();
    }

    /** The most writers that were open at the same time (never above the cap). */
    public int maxOpenWriters() {
        return maxOpen;
    }

    /** Writers finished early to stay within the cap. */
    public int evictions() {
        return evictions;
    }

    @Override
    public void close() {
        reorder.drain().forEach(Morsel::close);
        RuntimeException failure = null;
        synchronized (reorder) {
            for (Part p : open.values()) {
                try {
                    p.writer().abort();
                } catch (RuntimeException e) {
                    failure = failure == null ? e : failure;
                }
            }
            open.clear();
        }
        if (!committed) {
            deleteTree(staging);
            if (createdDir) {
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    // Not empty (someone else wrote there meanwhile): the directory is theirs now.
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw ioFailure.of(root, "cannot delete: " + e.getMessage(), e);
        }
    }
}
