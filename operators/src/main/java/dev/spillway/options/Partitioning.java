package dev.spillway.options;

import java.util.List;

/**
 * How a partitioned file sink splits its result into hive-style directories:
 * {@code dir/country=DE/part-00000.parquet}, one directory level per partition column.
 *
 * <p>The partition columns are not written into the files (the directory names carry them, as in
 * Hive, Spark and DuckDB); a scan of the directory restores them. At most {@code maxOpenFiles}
 * files are open at once: when a new partition value needs a file and that many are open, the
 * least recently written one is finished; if its value comes back, the next part file
 * ({@code part-00001}, ...) is started. Few distinct values in clustered order give one file per
 * value; many values in random order give several smaller files per value rather than thousands
 * of open file descriptors.
 *
 * @param columns      the partition columns, outermost directory first (int32, int64, date,
 *                     boolean or string columns)
 * @param maxOpenFiles files open at once, at least 1; 16 by default
 */
public record Partitioning(List<String> columns, int maxOpenFiles) {
    /** The default cap on open files. */
    public static final int DEFAULT_MAX_OPEN_FILES = 16;

    /** Checks the values. */
    public Partitioning {
        columns = List.copyOf(columns);
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("partitionBy needs at least one column");
        }
        if (columns.stream().distinct().count() != columns.size()) {
            throw new IllegalArgumentException("partition columns repeat: " + columns);
        }
        if (maxOpenFiles < 1) {
            throw new IllegalArgumentException("maxOpenFiles must be at least 1, got " + maxOpenFiles);
        }
    }

    /** Partitions by {@code columns} (outermost first) with at most 16 open files. */
    public static Partitioning partitionBy(String... columns) {
        return new Partitioning(List.of(columns), DEFAULT_MAX_OPEN_FILES);
    }

    /** The same with another cap on open files. */
    public Partitioning withMaxOpenFiles(int max) {
        return new Partitioning(columns, max);
    }
}
