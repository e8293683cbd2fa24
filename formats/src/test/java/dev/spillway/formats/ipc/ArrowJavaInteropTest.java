package dev.spillway.formats.ipc;

import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The Arrow IPC files Spillway writes are read value for value by Arrow Java's
 * {@link ArrowFileReader}, and files Arrow Java's {@link ArrowFileWriter} writes are read value for
 * value by {@link IpcScan}: every supported type, with nulls, over several record batches.
 * Tagged {@code arrow-java}: it runs in a surefire execution of its own (see the module's pom),
 * because Arrow's allocator needs sun.misc.Unsafe and java.nio opened, which every other test JVM denies.
 */
@Tag("arrow-java")
class ArrowJavaInteropTest {
    private static final Schema SCHEMA = Schema.of(Field.of("i32", DataType.INT32), Field.of("i64", DataType.INT64),
            Field.of("f64", DataType.FLOAT64), Field.of("b", DataType.BOOLEAN), Field.of("d", DataType.DATE32),
            Field.of("s", DataType.UTF8));

    /** Rows of expected values (Integer, Long, Double, Boolean, LocalDate, String; null for null), per batch. */
    private static List<List<Object[]>> batches(long seed) {
        Random rnd = new Random(seed);
        List<List<Object[]>> out = new ArrayList<>();
        for (int size : new int[] {1_000, 1, 2_500, 0, 777}) {
            List<Object[]> rows = new ArrayList<>();
            for (int r = 0; r < size; r++) {
                rows.add(new Object[] {
                    rnd.nextInt(9) == 0 ? null : rnd.nextInt(),
                    rnd.nextInt(7) == 0 ? null : rnd.nextLong(),
                    rnd.nextInt(5) == 0 ? null : rnd.nextDouble() * 1e6 - 5e5,
                    rnd.nextInt(4) == 0 ? null : rnd.nextBoolean(),
                    rnd.nextInt(6) == 0 ? null : LocalDate.ofEpochDay(rnd.nextInt(40_000) - 10_000),
                    rnd.nextInt(3) == 0 ? null : rnd.nextInt(10) == 0 ? "" : "v" + rnd.nextInt(100_000) + (r % 5 == 0 ? "é€" : ""),
                });
            }
            out.add(rows);
        }
        return out;
    }

    @Test
    void arrowJavaReadsWhatSpillwayWrites() {
        long seed = System.nanoTime();
        List<List<Object[]>> batches = batches(seed);
        LeakCheck.assertNoLeaks(mem -> {
            Path file = mem.dataDir().resolve("spillway.arrow");
            try (IpcFileWriter w = new IpcFileWriter(file, SCHEMA)) {
                for (int b = 0; b < batches.size(); b++) {
                    List<Object[]> rows = batches.get(b);
                    List<ColumnVector> cols = new ArrayList<>();
                    for (int c = 0; c < SCHEMA.size(); c++) {
                        try (ColumnBuilder builder = ColumnBuilder.create(SCHEMA.field(c).type(), mem.pool(), mem.budget(),
                                Math.max(rows.size(), 1))) {
                            for (Object[] row : rows) {
                                builder.appendObject(row[c]);
                            }
                            cols.add(builder.build());
                        }
                    }
                    try (Morsel m = new Morsel(SCHEMA, cols, rows.size(), b)) {
                        w.write(m);
                    }
                }
            }
            try (BufferAllocator alloc = new RootAllocator();
                    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
                    ArrowFileReader reader = new ArrowFileReader(ch, alloc)) {
                VectorSchemaRoot root = reader.getVectorSchemaRoot();
                assertEquals(SCHEMA.names(), root.getSchema().getFields().stream().map(f -> f.getName()).toList());
                List<ArrowBlock> blocks = reader.getRecordBlocks();
                assertEquals(batches.size(), blocks.size(), "record batches, seed " + seed);
                for (int b = 0; b < blocks.size(); b++) {
                    reader.loadRecordBatch(blocks.get(b));
                    List<Object[]> rows = batches.get(b);
                    assertEquals(rows.size(), root.getRowCount(), "batch " + b + ", seed " + seed);
                    for (int r = 0; r < rows.size(); r++) {
                        for (int c = 0; c < SCHEMA.size(); c++) {
                            assertEquals(rows.get(r)[c], fromArrow(root.getVector(c), r),
                                    "batch " + b + " row " + r + " column " + SCHEMA.field(c).name() + ", seed " + seed);
                        }
                    }
                }
            }
        });
    }

    @Test
    void spillwayReadsWhatArrowJavaWrites() {
        long seed = System.nanoTime();
        List<List<Object[]>> batches = batches(seed);
        LeakCheck.assertNoLeaks(mem -> {
            Path file = mem.dataDir().resolve("arrow-java.arrow");
            org.apache.arrow.vector.types.pojo.Schema arrowSchema = new org.apache.arrow.vector.types.pojo.Schema(List.of(
                    org.apache.arrow.vector.types.pojo.Field.nullable("i32", new org.apache.arrow.vector.types.pojo.ArrowType.Int(32, true)),
                    org.apache.arrow.vector.types.pojo.Field.nullable("i64", new org.apache.arrow.vector.types.pojo.ArrowType.Int(64, true)),
                    org.apache.arrow.vector.types.pojo.Field.nullable("f64", new org.apache.arrow.vector.types.pojo.ArrowType.FloatingPoint(
                            org.apache.arrow.vector.types.FloatingPointPrecision.DOUBLE)),
                    org.apache.arrow.vector.types.pojo.Field.nullable("b", org.apache.arrow.vector.types.pojo.ArrowType.Bool.INSTANCE),
                    org.apache.arrow.vector.types.pojo.Field.nullable("d", new org.apache.arrow.vector.types.pojo.ArrowType.Date(
                            org.apache.arrow.vector.types.DateUnit.DAY)),
                    org.apache.arrow.vector.types.pojo.Field.nullable("s", org.apache.arrow.vector.types.pojo.ArrowType.Utf8.INSTANCE)));
            try (BufferAllocator alloc = new RootAllocator();
                    VectorSchemaRoot root = VectorSchemaRoot.create(arrowSchema, alloc);
                    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                            StandardOpenOption.TRUNCATE_EXISTING);
                    ArrowFileWriter writer = new ArrowFileWriter(root, null, ch)) {
                writer.start();
                for (List<Object[]> rows : batches) {
                    root.allocateNew();
                    for (int r = 0; r < rows.size(); r++) {
                        for (int c = 0; c < SCHEMA.size(); c++) {
                            set(root.getVector(c), r, rows.get(r)[c]);
                        }
                    }
                    root.setRowCount(rows.size());
                    writer.writeBatch();
                }
                writer.end();
            }
            try (IpcScan scan = new IpcScan(List.of(file), IpcScan.readSchema(file), null, mem.budget())) {
                assertEquals(SCHEMA, scan.outputSchema(), "seed " + seed);
                assertEquals(batches.size(), scan.splitCount(), "seed " + seed);
                for (int b = 0; b < batches.size(); b++) {
                    List<Object[]> rows = batches.get(b);
                    try (Morsel m = scan.readSplit(b)) {
                        assertEquals(rows.size(), m.rowCount(), "batch " + b + ", seed " + seed);
                        for (int r = 0; r < rows.size(); r++) {
                            Object[] got = new Object[SCHEMA.size()];
                            for (int c = 0; c < SCHEMA.size(); c++) {
                                got[c] = m.column(c).getObject(r);
                            }
                            assertEquals(Arrays.asList(rows.get(r)), Arrays.asList(got), "batch " + b + " row " + r + ", seed " + seed);
                        }
                    }
                }
            }
        });
    }

    /** Sets row {@code r} of an Arrow Java vector to a value in the test's Java representation. */
    private static void set(FieldVector v, int r, Object value) {
        if (value == null) {
            v.setNull(r);
            return;
        }
        switch (v) {
            case IntVector x -> x.setSafe(r, (Integer) value);
            case BigIntVector x -> x.setSafe(r, (Long) value);
            case Float8Vector x -> x.setSafe(r, (Double) value);
            case BitVector x -> x.setSafe(r, (Boolean) value ? 1 : 0);
            case DateDayVector x -> x.setSafe(r, (int) ((LocalDate) value).toEpochDay());
            case VarCharVector x -> x.setSafe(r, ((String) value).getBytes(StandardCharsets.UTF_8));
            default -> throw new IllegalArgumentException("unexpected vector " + v);
        }
    }

    /** An Arrow Java value in the test's Java representation. */
    private static Object fromArrow(FieldVector v, int r) {
        if (v.isNull(r)) {
            return null;
        }
        return switch (v) {
            case DateDayVector d -> LocalDate.ofEpochDay(d.get(r));
            case BitVector b -> b.get(r) != 0;
            case VarCharVector s -> new String(s.get(r), StandardCharsets.UTF_8);
            default -> v.getObject(r);
        };
    }
}
