package dev.spillway.options;

/** Page compression codecs Spillway writes; ids are Parquet's {@code CompressionCodec} values. */
public enum ParquetCodec {
    /** No compression. */
    UNCOMPRESSED(0),
    /** Snappy (snappy-java). */
    SNAPPY(1),
    /** Gzip (java.util.zip). */
    GZIP(2),
    /** Zstandard level 3 (zstd-jni); the default. */
    ZSTD(6);

    private final int id;

    ParquetCodec(int id) {
        this.id = id;
    }

    /** Parquet's id for the codec. */
    public int id() {
        return id;
    }
}
