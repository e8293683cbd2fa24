/**
 * Spillway: an embeddable, off-heap query engine whose joins, group-bys and sorts spill to disk
 * under memory pressure.
 *
 * <p>The API is {@code dev.spillway} (engine, lazy and collected frames, expressions, queries and
 * their options), with the types, errors, options, expression operators, events and SQL context
 * it names in the other exported packages. Everything else (memory, spilling, scheduling,
 * operators, formats, planning) is internal to this module.
 *
 * <p>The engine calls native code through the FFM API: run with
 * {@code --enable-native-access=dev.spillway} (and {@code org.lz4.java}, whose JNI library
 * compresses spill files).
 */
module dev.spillway {
    requires java.management;
    requires java.sql;
    requires jdk.jfr;
    requires jdk.management;
    requires com.github.luben.zstd_jni;
    requires dev.hardwood.core;
    requires net.sf.jsqlparser;
    requires org.agrona;
    requires org.apache.arrow.format;
    requires org.jctools.core;
    requires org.lz4.java;
    requires org.xerial.snappy;

    exports dev.spillway;
    exports dev.spillway.errors;
    exports dev.spillway.event;
    exports dev.spillway.expr;
    exports dev.spillway.options;
    exports dev.spillway.sql;
    exports dev.spillway.types;

    uses dev.spillway.spi.SqlFrontEnd;

    provides dev.spillway.spi.SqlFrontEnd with dev.spillway.sql.internal.SqlCatalogProvider;
}
