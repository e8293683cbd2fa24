package dev.spillway.arrow;

import dev.spillway.internal.EngineInternals;

import dev.spillway.errors.ArrowInterfaceException;

import dev.spillway.DataFrame;
import org.apache.arrow.c.ArrowArray;
import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.c.ArrowSchema;
import org.apache.arrow.c.CDataDictionaryProvider;
import org.apache.arrow.c.Data;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Spillway's Arrow C data interface against Arrow Java's C data module, both ways: every type
 * with nulls, single arrays and multi-batch streams, empty streams, unsupported types, and the
 * consumer releasing after the frame's owner closed it. Arrow Java's allocator checks its own
 * leaks when it closes; the engine's checks run around every test.
 */
@Tag("arrow-java")
class ArrowJavaCDataTest {
    private static final List<String> NAMES = List.of("i", "l", "g", "b", "d", "s", "dec", "ts", "tz");

    // ------------------------------------------------------------------ Spillway -> Arrow Java

    @Test
    void exportedStreamReadsBackInArrowJava() {
        ArrowTestSupport.withEngine(9, sw -> {
            try (BufferAllocator allocator = new RootAllocator()) {
                List<List<Object>> got = new ArrayList<>();
                List<List<Object>> want;
                int batches = 0;
                try (DataFrame df = ArrowTestSupport.sample(sw, 150, 11).collect()) {
                    want = df.rows();
                    try (ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator)) {
                        ArrowExport.exportStream(df, MemorySegment.ofAddress(stream.memoryAddress()));
                        try (ArrowReader reader = Data.importArrayStream(allocator, stream)) {
                            VectorSchemaRoot root = reader.getVectorSchemaRoot();
                            checkArrowTypes(root, df.schema());
                            while (reader.loadNextBatch()) {
                                batches++;
                                got.addAll(rows(root));
                            }
                        }
                    }
                }
                assertTrue(batches > 10, "9-row morsels arrive as many batches: " + batches);
                assertEquals(want, got);
            }
        });
    }

    @Test
    void exportedBatchImportsAsVectorSchemaRootAfterTheOwnerClosed() {
        ArrowTestSupport.withEngine(64, sw -> {
            var source = ArrowTestSupport.sample(sw, 60, 12);
            long base = EngineInternals.budget(sw).reserved();
            try (BufferAllocator allocator = new RootAllocator();
                    ArrowArray array = ArrowArray.allocateNew(allocator);
                    ArrowSchema schema = ArrowSchema.allocateNew(allocator);
                    CDataDictionaryProvider dictionaries = new CDataDictionaryProvider()) {
                List<List<Object>> want;
                dev.spillway.types.Schema ours;
                try (DataFrame df = source.sort("l").collect()) {
                    assertEquals(1, ArrowExport.batchCount(df));
                    ours = df.schema();
                    want = df.rows();
                    ArrowExport.exportSchema(df.schema(), MemorySegment.ofAddress(schema.memoryAddress()));
                    ArrowExport.exportBatch(df, 0, MemorySegment.ofAddress(array.memoryAddress()));
                }
                assertTrue(EngineInternals.budget(sw).reserved() > base, "the exported array holds the closed frame's memory");
                try (VectorSchemaRoot root = Data.importVectorSchemaRoot(allocator, array, schema, dictionaries)) {
                    checkArrowTypes(root, ours);
                    assertEquals(want, rows(root));
                }
                assertEquals(base, EngineInternals.budget(sw).reserved(), "Arrow Java's release freed the frame");
            }
        });
    }

    @Test
    void emptyFrameIsAStreamWithItsSchema() {
        ArrowTestSupport.withEngine(64, sw -> {
            try (BufferAllocator allocator = new RootAllocator();
                    DataFrame df = ArrowTestSupport.sample(sw, 30, 13).filter(dev.spillway.Expr.lit(false)).collect();
                    ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator)) {
                ArrowExport.exportStream(df, MemorySegment.ofAddress(stream.memoryAddress()));
                try (ArrowReader reader = Data.importArrayStream(allocator, stream)) {
                    checkArrowTypes(reader.getVectorSchemaRoot(), df.schema());
                    assertFalse(reader.loadNextBatch());
                }
            }
        });
    }

    private static void checkArrowTypes(VectorSchemaRoot root, dev.spillway.types.Schema ours) {
        dev.spillway.types.DecimalType dec = ours.field(6).decimal();
        List<ArrowType> types = root.getSchema().getFields().stream().map(f -> f.getType()).toList();
        assertEquals(List.of(new ArrowType.Int(32, true), new ArrowType.Int(64, true),
                new ArrowType.FloatingPoint(org.apache.arrow.vector.types.FloatingPointPrecision.DOUBLE), ArrowType.Bool.INSTANCE,
                new ArrowType.Date(org.apache.arrow.vector.types.DateUnit.DAY), ArrowType.Utf8.INSTANCE,
                new ArrowType.Decimal(dec.precision(), dec.scale(), 128), new ArrowType.Timestamp(TimeUnit.MICROSECOND, null),
                new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")), types);
        assertEquals(NAMES, root.getSchema().getFields().stream().map(f -> f.getName()).toList());
    }

    /** The rows of {@code root} as the Java values Spillway's {@code DataFrame.get} returns. */
    private static List<List<Object>> rows(VectorSchemaRoot root) {
        List<List<Object>> out = new ArrayList<>();
        for (int r = 0; r < root.getRowCount(); r++) {
            List<Object> row = new ArrayList<>();
            for (FieldVector v : root.getFieldVectors()) {
                row.add(value(v, r));
            }
            out.add(row);
        }
        return out;
    }

    private static Object value(FieldVector v, int r) {
        if (v.isNull(r)) {
            return null;
        }
        return switch (v) {
            case DateDayVector d -> LocalDate.ofEpochDay(d.get(r));
            case VarCharVector s -> new String(s.get(r), StandardCharsets.UTF_8);
            case TimeStampMicroTZVector t -> Instant.EPOCH.plus(t.get(r), ChronoUnit.MICROS);
            default -> v.getObject(r);
        };
    }

    // ------------------------------------------------------------------ Arrow Java -> Spillway

    @Test
    void arrowJavaStreamScansIntoSpillway() {
        ArrowTestSupport.withEngine(100, sw -> {
            try (BufferAllocator allocator = new RootAllocator()) {
                List<List<Object>> want = new ArrayList<>();
                byte[] ipc = writeBatches(allocator, new int[] {250, 0, 7, 333}, want);
                try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(ipc), allocator);
                        ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator)) {
                    Data.exportArrayStream(allocator, reader, stream);
                    var frame = sw.fromArrowStream(MemorySegment.ofAddress(stream.memoryAddress()));
                    assertEquals("Schema[i: int32, l: int64, g: float64, b: boolean, d: date32, s: utf8, dec: decimal(20,3), "
                            + "ts: timestamp, tz: timestamp(UTC)]", frame.schema().toString());
                    try (DataFrame df = frame.collect()) {
                        assertEquals(590, df.rowCount());
                        assertTrue(EngineInternals.morsels(df).size() >= 6, "batches over 100 rows are sliced: " + EngineInternals.morsels(df).size());
                        assertEquals(want, df.rows());
                    }
                }
            }
        });
    }

    @Test
    void emptyArrowJavaStream() {
        ArrowTestSupport.withEngine(100, sw -> {
            try (BufferAllocator allocator = new RootAllocator()) {
                byte[] ipc = writeBatches(allocator, new int[0], new ArrayList<>());
                try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(ipc), allocator);
                        ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator)) {
                    Data.exportArrayStream(allocator, reader, stream);
                    try (DataFrame df = sw.fromArrowStream(MemorySegment.ofAddress(stream.memoryAddress())).collect()) {
                        assertEquals(0, df.rowCount());
                        assertEquals(NAMES, df.columns());
                    }
                }
            }
        });
    }

    @Test
    void largeUtf8IsReadAsUtf8() {
        ArrowTestSupport.withEngine(100, sw -> {
            try (BufferAllocator allocator = new RootAllocator()) {
                List<String> want = new ArrayList<>();
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                try (LargeVarCharVector v = new LargeVarCharVector("big", allocator); VectorSchemaRoot root = VectorSchemaRoot.of(v);
                        ArrowStreamWriter w = new ArrowStreamWriter(root, null, bytes)) {
                    w.start();
                    for (int batch = 0; batch < 3; batch++) {
                        v.allocateNew();
                        for (int r = 0; r < 150; r++) {
                            String x = r % 9 == 4 ? null : "b" + batch + "-" + "ø".repeat(r % 4) + r;
                            if (x == null) {
                                v.setNull(r);
                            } else {
                                v.setSafe(r, x.getBytes(StandardCharsets.UTF_8));
                            }
                            want.add(x);
                        }
                        root.setRowCount(150);
                        w.writeBatch();
                    }
                    w.end();
                }
                try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(bytes.toByteArray()), allocator);
                        ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator)) {
                    Data.exportArrayStream(allocator, reader, stream);
                    try (DataFrame df = sw.fromArrowStream(MemorySegment.ofAddress(stream.memoryAddress())).collect()) {
                        assertEquals("Schema[big: utf8]", df.schema().toString());
                        List<Object> got = df.columnValues("big");
                        assertEquals(want, got);
                    }
                }
            }
        });
    }

    @Test
    void unsupportedTypeIsRejectedNamingTheColumn() {
        ArrowTestSupport.withEngine(100, sw -> {
            try (BufferAllocator allocator = new RootAllocator()) {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                try (Float4Vector f = new Float4Vector("ratio", allocator); VectorSchemaRoot root = VectorSchemaRoot.of(f);
                        ArrowStreamWriter w = new ArrowStreamWriter(root, null, bytes)) {
                    f.allocateNew(1);
                    f.set(0, 1.5f);
                    root.setRowCount(1);
                    w.start();
                    w.writeBatch();
                    w.end();
                }
                try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(bytes.toByteArray()), allocator);
                        ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator)) {
                    Data.exportArrayStream(allocator, reader, stream);
                    ArrowInterfaceException e = assertThrows(ArrowInterfaceException.class,
                            () -> sw.fromArrowStream(MemorySegment.ofAddress(stream.memoryAddress())));
                    assertTrue(e.getMessage().contains("column 'ratio' has format 'f'"), e.getMessage());
                    assertTrue(e.getMessage().contains("supported: i (int32)"), e.getMessage());
                }
            }
        });
    }

    /**
     * An Arrow IPC stream of batches with {@code sizes} rows of every type (nulls in every
     * column), the expected Spillway values appended to {@code want}.
     */
    private static byte[] writeBatches(BufferAllocator allocator, int[] sizes, List<List<Object>> want) throws Exception {
        Random rnd = new Random(42);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (IntVector i = new IntVector("i", allocator);
                BigIntVector l = new BigIntVector("l", allocator);
                Float8Vector g = new Float8Vector("g", allocator);
                BitVector b = new BitVector("b", allocator);
                DateDayVector d = new DateDayVector("d", allocator);
                VarCharVector s = new VarCharVector("s", allocator);
                DecimalVector dec = new DecimalVector("dec", allocator, 20, 3);
                TimeStampMicroVector ts = new TimeStampMicroVector("ts", allocator);
                TimeStampMicroTZVector tz = new TimeStampMicroTZVector("tz", allocator, "UTC");
                VectorSchemaRoot root = VectorSchemaRoot.of(i, l, g, b, d, s, dec, ts, tz);
                ArrowStreamWriter w = new ArrowStreamWriter(root, null, bytes)) {
            w.start();
            for (int n : sizes) {
                root.allocateNew();
                for (int r = 0; r < n; r++) {
                    boolean nul = r % 5 == 3;
                    if (nul) {
                        for (FieldVector v : root.getFieldVectors()) {
                            v.setNull(r);
                        }
                        want.add(Arrays.asList(new Object[9]));
                        continue;
                    }
                    int iv = rnd.nextInt();
                    long lv = rnd.nextLong();
                    double gv = rnd.nextDouble() * 1e9;
                    boolean bv = rnd.nextBoolean();
                    int dv = rnd.nextInt(50_000) - 20_000;
                    String sv = "v" + rnd.nextInt(1000) + "ü".repeat(r % 3);
                    BigDecimal decv = BigDecimal.valueOf(rnd.nextLong() % 100_000_000_000_000L, 3);
                    long tsv = rnd.nextLong() % 4_000_000_000_000_000L;
                    long tzv = rnd.nextLong() % 4_000_000_000_000_000L;
                    i.setSafe(r, iv);
                    l.setSafe(r, lv);
                    g.setSafe(r, gv);
                    b.setSafe(r, bv ? 1 : 0);
                    d.setSafe(r, dv);
                    s.setSafe(r, sv.getBytes(StandardCharsets.UTF_8));
                    dec.setSafe(r, decv);
                    ts.setSafe(r, tsv);
                    tz.setSafe(r, tzv);
                    want.add(Arrays.asList(iv, lv, gv, bv, LocalDate.ofEpochDay(dv), sv, decv,
                            LocalDateTime.ofEpochSecond(Math.floorDiv(tsv, 1_000_000L), (int) Math.floorMod(tsv, 1_000_000L) * 1000,
                                    ZoneOffset.UTC),
                            Instant.EPOCH.plus(tzv, ChronoUnit.MICROS)));
                }
                root.setRowCount(n);
                w.writeBatch();
            }
            w.end();
        }
        return bytes.toByteArray();
    }
}
