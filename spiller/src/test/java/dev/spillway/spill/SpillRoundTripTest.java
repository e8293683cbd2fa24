package dev.spillway.spill;

import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck.TestMemory;
import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpillRoundTripTest {
    static SpillManager manager(TestMemory mem) {
        return new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
    }

    @Test
    void seededFuzzRoundTripOfEveryTypeWithNullsEmptyMorselsAndSlices() {
        long seed = System.nanoTime();
        try {
            assertNoLeaks(mem -> fuzz(mem, new Random(seed)));
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("failed with seed " + seed, e);
        }
    }

    private static void fuzz(TestMemory mem, Random rnd) {
        Schema schema = RandomData.allTypes();
        try (SpillManager sm = manager(mem); SpillDirectory dir = sm.createQueryDirectory("fuzz", mem.budget())) {
            List<List<List<Object>>> expected = new ArrayList<>();
            List<Integer> partitions = new ArrayList<>();
            SpillWriter w = dir.newWriter("fuzz");
            for (int i = 0; i < 12; i++) {
                int n = i == 0 ? 0 : rnd.nextInt(4) == 0 ? rnd.nextInt(3) : rnd.nextInt(3000);
                List<List<Object>> rows = RandomData.rows(schema, n, rnd, rnd.nextInt(3) == 0 ? 0 : 0.3);
                try (Morsel m = RandomData.morsel(schema, rows, i, mem.pool(), mem.budget())) {
                    int from = n == 0 ? 0 : rnd.nextInt(Math.max(1, n / 3));
                    int count = n == 0 ? 0 : rnd.nextInt(n - from + 1);
                    boolean slice = rnd.nextBoolean();
                    try (Morsel toWrite = slice ? m.slice(from, count) : m.withSequence(i)) {
                        int p = rnd.nextInt(4);
                        w.append(toWrite, p);
                        expected.add(slice ? rows.subList(from, from + count) : rows);
                        partitions.add(p);
                    }
                }
            }
            SpillFile f = w.finish();
            assertEquals(12, f.blocks());
            try (SpillReader r = dir.open(f, mem.budget())) {
                for (int b = 0; b < r.blockCount(); b++) {
                    assertEquals(partitions.get(b), r.partition(b));
                    try (Morsel back = r.read(b, schema)) {
                        assertEquals(expected.get(b), RandomData.rowsOf(back), "block " + b);
                    }
                }
                for (int p = 0; p < 4; p++) {
                    Iterator<Morsel> it = r.partition(p, schema);
                    for (int b = 0; b < partitions.size(); b++) {
                        if (partitions.get(b) != p) {
                            continue;
                        }
                        try (Morsel back = it.next()) {
                            assertEquals(expected.get(b), RandomData.rowsOf(back));
                        }
                    }
                    assertFalse(it.hasNext());
                }
            }
            assertTrue(dir.stats().bytesReadRaw() > 0);
            assertEquals(dir.stats().bytesWrittenRaw() * 2, dir.stats().bytesReadRaw(), "every block read twice");
        }
    }

    @Test
    void aSmallCapWritesSmallChunksThatReadBackExactly() {
        assertEquals(SpillFormat.MIN_CHUNK_BYTES, SpillFormat.chunkBytesFor(1));
        assertEquals(256 << 10, SpillFormat.chunkBytesFor(4L << 20));
        assertEquals(256 << 10, SpillFormat.chunkBytesFor((8L << 20) - 1));
        assertEquals(SpillFormat.CHUNK_BYTES, SpillFormat.chunkBytesFor(16L << 20));
        assertEquals(SpillFormat.CHUNK_BYTES, SpillFormat.chunkBytesFor(MemoryBudget.UNLIMITED));
        assertNoLeaks(mem -> {
            Schema schema = Schema.of(Field.of("v", DataType.INT64));
            Random rnd = new Random(7);
            List<List<Object>> rows = new ArrayList<>();
            for (int i = 0; i < 200_000; i++) {
                rows.add(List.of(rnd.nextLong()));
            }
            MemoryBudget query = mem.budget().child("small", 4L << 20);
            try (SpillManager sm = manager(mem); SpillDirectory dir = sm.createQueryDirectory("small", query)) {
                assertEquals(256 << 10, dir.chunkBytes());
                assertTrue(query.reserved() < 300 << 10, "scratch of a 4 MiB query: " + query.reserved());
                SpillFile f;
                try (Morsel m = RandomData.morsel(schema, rows, 0, mem.pool(), mem.budget())) {
                    SpillWriter w = dir.newWriter("small");
                    w.append(m, 0);
                    f = w.finish();
                }
                assertTrue(f.rawBytes() > 4L * dir.chunkBytes(), "several chunks per buffer");
                try (SpillReader r = dir.open(f, mem.budget()); Morsel back = r.read(0, schema)) {
                    assertEquals(rows, RandomData.rowsOf(back));
                }
            } finally {
                query.close();
            }
        });
    }

    @Test
    void longStringsAndLargeBuffersSpanSeveralChunks() {
        assertNoLeaks(mem -> {
            Schema schema = Schema.of(Field.of("s", DataType.UTF8), Field.of("v", DataType.INT64));
            Random rnd = new Random(3);
            List<List<Object>> rows = new ArrayList<>();
            for (int i = 0; i < 300_000; i++) {
                rows.add(List.of(i % 1000 == 0 ? "x".repeat(5000) : "row-" + i, (long) rnd.nextInt()));
            }
            try (SpillManager sm = manager(mem); SpillDirectory dir = sm.createQueryDirectory("big", mem.budget());
                 Morsel m = RandomData.morsel(schema, rows, 0, mem.pool(), mem.budget())) {
                SpillWriter w = dir.newWriter("big");
                w.append(m, 0);
                SpillFile f = w.finish();
                assertTrue(f.rawBytes() > 3L * dir.chunkBytes(), "several chunks per buffer");
                assertTrue(f.byteSize() < f.rawBytes(), "compressible data got smaller");
                try (SpillReader r = dir.open(f, mem.budget()); Morsel back = r.read(0, schema)) {
                    assertEquals(rows, RandomData.rowsOf(back));
                }
            }
        });
    }

    @Test
    void privateDirectoryAndFilePermissions() {
        assertNoLeaks(mem -> {
            try (SpillManager sm = manager(mem); SpillDirectory dir = sm.createQueryDirectory("perm", mem.budget())) {
                assertFalse(dir.created(), "no directory before the first spill");
                SpillWriter w = dir.newWriter("p0");
                Path d = dir.path();
                assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(d)));
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(w.path())));
                Path engine = d.getParent();
                assertEquals(engine, sm.engineDirectory(), "query directories sit in the engine's directory");
                assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(engine)));
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(engine.resolve("lock"))));
                assertTrue(engine.getFileName().toString().startsWith("spillway-" + ProcessHandle.current().pid() + "-"));
                assertEquals(mem.tempRoot().toAbsolutePath(), engine.getParent());
                assertTrue(d.getFileName().toString().startsWith("perm-"), d.toString());
                assertTrue(w.path().getParent().equals(d));
                w.close();
                assertFalse(Files.exists(w.path()), "an unfinished file is deleted on close");
            }
        });
    }

    @Test
    void closingTheDirectoryDeletesEverythingAfterAFailure() {
        assertNoLeaks(mem -> {
            Schema schema = Schema.of(Field.of("v", DataType.INT64));
            try (SpillManager sm = manager(mem)) {
                SpillDirectory dir = sm.createQueryDirectory("failing", mem.budget());
                Path d = dir.path();
                try (Morsel m = RandomData.morsel(schema, List.of(List.of(1L), List.of(2L)), 0, mem.pool(), mem.budget())) {
                    SpillWriter done = dir.newWriter("done");
                    done.append(m, 0);
                    done.finish();
                    SpillWriter open = dir.newWriter("open");
                    open.append(m, 1);
                    try (var listing = Files.list(d)) {
                        assertEquals(2, listing.count());
                    }
                    throw new IllegalStateException("operator failed");
                } catch (IllegalStateException expected) {
                    dir.close();
                }
                assertFalse(Files.exists(d));
                assertEquals(0, sm.bytesOnDisk());
                assertEquals(2, sm.stats().filesCreated());
                assertEquals(2, sm.stats().filesDeleted());
            }
        });
    }

    @Test
    void readingWithAnotherSchemaIsAnError() {
        assertNoLeaks(mem -> {
            Schema schema = Schema.of(Field.of("v", DataType.INT64));
            try (SpillManager sm = manager(mem); SpillDirectory dir = sm.createQueryDirectory("q", mem.budget());
                 Morsel m = RandomData.morsel(schema, List.of(List.of(1L)), 0, mem.pool(), mem.budget())) {
                SpillWriter w = dir.newWriter("x");
                w.append(m, 0);
                SpillFile f = w.finish();
                try (SpillReader r = dir.open(f, mem.budget())) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> r.read(0, Schema.of(Field.of("v", DataType.FLOAT64))));
                    assertTrue(e.getMessage().contains("column 0 is int64"), e.getMessage());
                }
            }
        });
    }
}
