package dev.spillway.formats.ipc;

import dev.spillway.errors.FormatException;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.Field;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.Timestamps;
import dev.spillway.memory.testing.LeakCheck;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.TimeStampNanoVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Arrow Java and Spillway read each other's {@code timestamp[us]} and {@code timestamp[us, tz]} columns. */
@Tag("arrow-java")
class ArrowTimestampInteropTest {
    private static final Schema SCHEMA = Schema.of(Field.timestamp("naive", null), Field.timestamp("zoned", "Europe/Berlin"));

    private static List<Long[]> rows(long seed) {
        Random rnd = new Random(seed);
        List<Long[]> rows = new ArrayList<>();
        for (int r = 0; r < 3000; r++) {
            rows.add(new Long[] {rnd.nextInt(7) == 0 ? null : rnd.nextLong(-4_000_000_000_000_000L, 4_000_000_000_000_000L),
                rnd.nextInt(5) == 0 ? null : rnd.nextLong(-4_000_000_000_000_000L, 4_000_000_000_000_000L)});
        }
        return rows;
    }

    @Test
    void arrowJavaReadsSpillwayTimestamps() {
        long seed = System.nanoTime();
        List<Long[]> rows = rows(seed);
        LeakCheck.assertNoLeaks(mem -> {
            Path file = mem.dataDir().resolve("ts.arrow");
            try (IpcFileWriter w = new IpcFileWriter(file, SCHEMA)) {
                List<ColumnVector> cols = new ArrayList<>();
                for (int c = 0; c < 2; c++) {
                    try (ColumnBuilder b = ColumnBuilder.create(SCHEMA.field(c), mem.pool(), mem.budget(), rows.size())) {
                        for (Long[] row : rows) {
                            b.appendObject(row[c]);
                        }
                        cols.add(b.build());
                    }
                }
                try (Morsel m = new Morsel(SCHEMA, cols, rows.size(), 0)) {
                    w.write(m);
                }
            }
            try (BufferAllocator alloc = new RootAllocator();
                    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
                    ArrowFileReader reader = new ArrowFileReader(ch, alloc)) {
                VectorSchemaRoot root = reader.getVectorSchemaRoot();
                assertEquals(new ArrowType.Timestamp(TimeUnit.MICROSECOND, null), root.getSchema().getFields().get(0).getType());
                assertEquals(new ArrowType.Timestamp(TimeUnit.MICROSECOND, "Europe/Berlin"),
                        root.getSchema().getFields().get(1).getType());
                reader.loadNextBatch();
                TimeStampMicroVector naive = (TimeStampMicroVector) root.getVector(0);
                TimeStampMicroTZVector zoned = (TimeStampMicroTZVector) root.getVector(1);
                for (int r = 0; r < rows.size(); r++) {
                    assertEquals(rows.get(r)[0], naive.isNull(r) ? null : naive.get(r), "naive row " + r + ", seed " + seed);
                    assertEquals(rows.get(r)[1], zoned.isNull(r) ? null : zoned.get(r), "zoned row " + r + ", seed " + seed);
                }
            }
        });
    }

    @Test
    void spillwayReadsArrowJavaTimestampsAndRefusesOtherUnits() {
        long seed = System.nanoTime();
        List<Long[]> rows = rows(seed);
        LeakCheck.assertNoLeaks(mem -> {
            Path file = mem.dataDir().resolve("arrow-java.arrow");
            org.apache.arrow.vector.types.pojo.Schema arrowSchema = new org.apache.arrow.vector.types.pojo.Schema(List.of(
                    org.apache.arrow.vector.types.pojo.Field.nullable("naive", new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)),
                    org.apache.arrow.vector.types.pojo.Field.nullable("zoned",
                            new ArrowType.Timestamp(TimeUnit.MICROSECOND, "Europe/Berlin"))));
            write(file, arrowSchema, root -> {
                TimeStampMicroVector naive = (TimeStampMicroVector) root.getVector(0);
                TimeStampMicroTZVector zoned = (TimeStampMicroTZVector) root.getVector(1);
                for (int r = 0; r < rows.size(); r++) {
                    if (rows.get(r)[0] == null) {
                        naive.setNull(r);
                    } else {
                        naive.setSafe(r, rows.get(r)[0]);
                    }
                    if (rows.get(r)[1] == null) {
                        zoned.setNull(r);
                    } else {
                        zoned.setSafe(r, rows.get(r)[1]);
                    }
                }
                root.setRowCount(rows.size());
            });
            try (IpcScan scan = new IpcScan(List.of(file), IpcScan.readSchema(file), null, mem.budget())) {
                assertEquals(SCHEMA, scan.outputSchema(), "seed " + seed);
                try (Morsel m = scan.readSplit(0)) {
                    for (int r = 0; r < rows.size(); r++) {
                        Long n = rows.get(r)[0];
                        Long z = rows.get(r)[1];
                        assertEquals(n == null ? null : Timestamps.toLocal(n), m.column(0).getObject(r), "row " + r + ", seed " + seed);
                        assertEquals(z == null ? null : Timestamps.toInstant(z), m.column(1).getObject(r), "row " + r + ", seed " + seed);
                    }
                    assertTrue(m.column(0).getObject(0) == null || m.column(0).getObject(0) instanceof LocalDateTime);
                    assertTrue(m.column(1).getObject(0) == null || m.column(1).getObject(0) instanceof Instant);
                }
            }
            Path nanos = mem.dataDir().resolve("nanos.arrow");
            write(nanos, new org.apache.arrow.vector.types.pojo.Schema(List.of(org.apache.arrow.vector.types.pojo.Field.nullable(
                    "ns", new ArrowType.Timestamp(TimeUnit.NANOSECOND, null)))), root -> {
                        ((TimeStampNanoVector) root.getVector(0)).setSafe(0, 1L);
                        root.setRowCount(1);
                    });
            FormatException e = assertThrows(FormatException.class, () -> IpcScan.readSchema(nanos));
            assertTrue(e.getMessage().contains("'ns'") || e.getMessage().contains("ns"), e.getMessage());
            assertTrue(e.getMessage().contains("NANOSECONDS") && e.getMessage().contains("timestamp in MICROSECONDs"),
                    e.getMessage());
        });
    }

    private static void write(Path file, org.apache.arrow.vector.types.pojo.Schema schema,
            java.util.function.Consumer<VectorSchemaRoot> fill) throws Exception {
        try (BufferAllocator alloc = new RootAllocator();
                VectorSchemaRoot root = VectorSchemaRoot.create(schema, alloc);
                FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING);
                ArrowFileWriter writer = new ArrowFileWriter(root, null, ch)) {
            writer.start();
            root.allocateNew();
            fill.accept(root);
            writer.writeBatch();
            writer.end();
        }
    }
}
