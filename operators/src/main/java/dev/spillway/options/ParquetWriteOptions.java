package dev.spillway.options;


/**
 * How Parquet files are written.
 *
 * @param codec        page compression; zstd by default
 * @param rowGroupRows rows per row group (the last one may hold fewer); 262,144 by default, so
 *                     readers can skip and parallelise by row group without tiny column chunks
 */
public record ParquetWriteOptions(ParquetCodec codec, int rowGroupRows) {
    /** Checks the values. */
    public ParquetWriteOptions {
        if (rowGroupRows < 1) {
            throw new IllegalArgumentException("rows per row group must be >= 1");
        }
    }

    /** zstd, 262,144 rows per row group. */
    public static ParquetWriteOptions defaults() {
        return new ParquetWriteOptions(ParquetCodec.ZSTD, 1 << 18);
    }

    /** The same with another codec. */
    public ParquetWriteOptions withCodec(ParquetCodec c) {
        return new ParquetWriteOptions(c, rowGroupRows);
    }

    /** The same with another row-group size. */
    public ParquetWriteOptions withRowGroupRows(int rows) {
        return new ParquetWriteOptions(codec, rows);
    }
}
