package dev.spillway.spill;

import dev.spillway.errors.SpillException;
import dev.spillway.errors.SpillQuotaExceededException;

import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpillLimitsTest {
    private static final Schema SCHEMA = Schema.of(Field.of("v", DataType.FLOAT64));

    private static List<List<Object>> randomDoubles(int n, long seed) {
        Random rnd = new Random(seed);
        List<List<Object>> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(List.of(rnd.nextDouble()));
        }
        return rows;
    }

    @Test
    void capExceededMidWriteLeavesNoFileAndNoReservedByte() {
        assertNoLeaks(mem -> {
            long reservedBefore;
            try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()).withQueryCap(300_000),
                    mem.pool()); SpillDirectory dir = sm.createQueryDirectory("capped", mem.budget())) {
                reservedBefore = mem.budget().reserved();
                SpillWriter w = dir.newWriter("p0");
                Path file = w.path();
                try (Morsel small = RandomData.morsel(SCHEMA, randomDoubles(10_000, 1), 0, mem.pool(), mem.budget());
                     Morsel big = RandomData.morsel(SCHEMA, randomDoubles(200_000, 2), 1, mem.pool(), mem.budget())) {
                    w.append(small, 0);
                    SpillException e = assertThrows(SpillException.class, () -> w.append(big, 0));
                    String m = e.getMessage();
                    assertTrue(m.contains("query spill cap reached writing " + file), m);
                    assertTrue(m.contains("cap 293.0 KiB") && m.contains("requested") && m.contains("free space"), m);
                }
                assertFalse(Files.exists(file), "the partial file is deleted");
                assertEquals(0, dir.bytesOnDisk());
                assertEquals(0, sm.bytesOnDisk());
                assertEquals(reservedBefore, mem.budget().reserved(), "only the directory's scratch remains");
                assertThrows(IllegalStateException.class, w::finish);
            }
        });
    }

    @Test
    void aQuerysOwnQuotaRefusesBelowTheEngineCapsNamingQueryAndQuota() {
        assertNoLeaks(mem -> {
            try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
                 SpillDirectory dir = sm.createQueryDirectory("quoted", mem.budget(), 100_000);
                 SpillDirectory free = sm.createQueryDirectory("free", mem.budget());
                 Morsel m = RandomData.morsel(SCHEMA, randomDoubles(20_000, 4), 0, mem.pool(), mem.budget())) {
                assertEquals(100_000, dir.quotaBytes());
                assertEquals(-1, free.quotaBytes());
                SpillWriter w = dir.newWriter("p0");
                Path file = w.path();
                SpillQuotaExceededException e = assertThrows(SpillQuotaExceededException.class, () -> w.append(m, 0));
                assertEquals("quoted", e.query());
                assertEquals(100_000, e.quotaBytes());
                assertTrue(e.spilledBytes() + e.requestedBytes() > 100_000, e.getMessage());
                assertTrue(e.getMessage().startsWith("query 'quoted' exceeded its spill-disk quota of 97.7 KiB"), e.getMessage());
                assertFalse(Files.exists(file), "the partial file is deleted");
                assertEquals(0, dir.bytesOnDisk());
                SpillWriter other = free.newWriter("p0");
                other.append(m, 0);
                other.finish();
                assertTrue(free.bytesOnDisk() > 100_000, "another query's files are not limited by that quota");
            }
            try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool())) {
                IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                        () -> sm.createQueryDirectory("q", mem.budget(), -2));
                assertTrue(bad.getMessage().contains("must be >= 0 bytes (or -1 for none)"), bad.getMessage());
            }
        });
    }

    @Test
    void processCapAppliesAcrossQueries() {
        assertNoLeaks(mem -> {
            try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()).withProcessCap(200_000),
                    mem.pool());
                 SpillDirectory a = sm.createQueryDirectory("a", mem.budget());
                 SpillDirectory b = sm.createQueryDirectory("b", mem.budget());
                 Morsel m = RandomData.morsel(SCHEMA, randomDoubles(15_000, 3), 0, mem.pool(), mem.budget())) {
                SpillWriter wa = a.newWriter("a");
                wa.append(m, 0);
                SpillFile fa = wa.finish();
                SpillWriter wb = b.newWriter("b");
                SpillException e = assertThrows(SpillException.class, () -> wb.append(m, 0));
                assertTrue(e.getMessage().contains("the process has"), e.getMessage());
                a.delete(fa);
                SpillWriter again = b.newWriter("b2");
                again.append(m, 0);
                again.finish();
                assertTrue(sm.bytesOnDisk() > 0 && sm.bytesOnDisk() <= 200_000);
            }
        });
    }

    @Test
    void openFileCapHoldsUnderManyPartitions() {
        assertNoLeaks(mem -> {
            int partitions = 40;
            try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()).withMaxOpenFiles(4),
                    mem.pool()); SpillDirectory dir = sm.createQueryDirectory("many", mem.budget())) {
                List<SpillWriter> writers = new ArrayList<>();
                for (int p = 0; p < partitions; p++) {
                    writers.add(dir.newWriter("p" + p));
                }
                List<List<List<Object>>> expected = new ArrayList<>();
                for (int p = 0; p < partitions; p++) {
                    expected.add(new ArrayList<>());
                }
                for (int round = 0; round < 3; round++) {
                    for (int p = 0; p < partitions; p++) {
                        List<List<Object>> rows = randomDoubles(100, round * 1000L + p);
                        try (Morsel m = RandomData.morsel(SCHEMA, rows, round, mem.pool(), mem.budget())) {
                            writers.get(p).append(m, p);
                        }
                        expected.get(p).addAll(rows);
                        assertTrue(sm.openFiles() <= 4, "open files: " + sm.openFiles());
                    }
                }
                for (int p = 0; p < partitions; p++) {
                    SpillFile f = writers.get(p).finish();
                    try (SpillReader r = dir.open(f, mem.budget())) {
                        List<List<Object>> back = new ArrayList<>();
                        for (int b = 0; b < r.blockCount(); b++) {
                            try (Morsel m = r.read(b, SCHEMA)) {
                                back.addAll(RandomData.rowsOf(m));
                            }
                        }
                        assertEquals(expected.get(p), back, "partition " + p);
                    }
                }
                assertTrue(sm.peakOpenFiles() <= 4, "peak open files: " + sm.peakOpenFiles());
                assertEquals(0, sm.openFiles());
            }
        });
    }

    @Test
    void staleDirectoriesOfDeadProcessesAreSwept() {
        assertNoLeaks(mem -> {
            Path root = mem.tempRoot();
            long dead = deadPid();
            Path stale = Files.createDirectories(root.resolve("spillway-" + dead + "-abc"));
            Files.writeString(stale.resolve("x.spill"), "old");
            Path mine = Files.createDirectories(root.resolve("spillway-" + ProcessHandle.current().pid() + "-mine"));
            Path other = Files.createDirectories(root.resolve("spillway-1-live"));
            Path unrelated = Files.createDirectories(root.resolve("not-ours"));
            try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(root), mem.pool())) {
                assertFalse(Files.exists(stale), "a dead process's directory is removed");
                assertTrue(Files.exists(mine) && Files.exists(other) && Files.exists(unrelated),
                        "live processes' and foreign directories stay");
                assertEquals(0, sm.sweepStale());
            }
            Files.delete(mine);
            Files.delete(other);
            Files.delete(unrelated);
        });
    }

    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        long pid = p.pid();
        assertFalse(ProcessHandle.of(pid).isPresent());
        return pid;
    }

    @Test
    void tmpfsIsRecognisedFromMountinfo() {
        List<String> lines = List.of(
                "22 1 252:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
                "25 22 0:21 / /dev/shm rw,nosuid,nodev shared:3 - tmpfs tmpfs rw",
                "26 22 0:22 / /tmp rw,nosuid shared:4 - tmpfs tmpfs rw,size=1g",
                "27 22 0:23 / /mnt/my\\040disk rw - xfs /dev/vdb rw");
        assertEquals("tmpfs", MountInfo.fileSystemType(lines, "/tmp/spill"));
        assertEquals("tmpfs", MountInfo.fileSystemType(lines, "/tmp"));
        assertEquals("ext4", MountInfo.fileSystemType(lines, "/tmpfoo/x"));
        assertEquals("ext4", MountInfo.fileSystemType(lines, "/work/spill"));
        assertEquals("xfs", MountInfo.fileSystemType(lines, "/mnt/my disk/spill"));
        if (Files.isDirectory(Path.of("/dev/shm"))) {
            String t = MountInfo.fileSystemType(Path.of("/dev/shm"));
            assertTrue(t == null || t.equals("tmpfs"), "/dev/shm is " + t);
        }
    }

    @Test
    void managerOnTmpfsSaysSo() {
        Path shm = Path.of("/dev/shm");
        org.junit.jupiter.api.Assumptions.assumeTrue("tmpfs".equals(MountInfo.fileSystemType(shm)), "no tmpfs here");
        assertNoLeaks(mem -> {
            Path root = Files.createTempDirectory(shm, "spillway-test-root");
            try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(root), mem.pool())) {
                assertTrue(sm.onTmpfs());
            } finally {
                Files.delete(root);
            }
        });
    }
}
