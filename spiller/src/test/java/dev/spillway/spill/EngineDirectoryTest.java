package dev.spillway.spill;

import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine's locked directory: it exists while the engine has something on disk, and a sweep
 * removes exactly the directories whose lock no one holds (with the sink outputs their journal
 * lists), whatever process id their name carries.
 */
class EngineDirectoryTest {
    private static final Schema SCHEMA = Schema.of(Field.of("v", DataType.INT64));

    private static void spillOne(SpillDirectory dir, dev.spillway.memory.testing.LeakCheck.TestMemory mem) {
        SpillWriter w = dir.newWriter("x");
        try (Morsel m = RandomData.morsel(SCHEMA, List.of(List.of(1L), List.of(2L)), 0, mem.pool(), mem.budget())) {
            w.append(m, 0);
        }
        w.finish();
    }

    @Test
    void theEngineDirectoryLivesWhileQueriesOrSinksUseItAndHoldsItsLock() {
        assertNoLeaks(mem -> {
            Path root = mem.tempRoot();
            try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(root), mem.pool())) {
                assertNull(sm.engineDirectory(), "nothing on disk before the first spill");
                SpillDirectory a = sm.createQueryDirectory("q1", mem.budget());
                SpillDirectory b = sm.createQueryDirectory("q2", mem.budget());
                spillOne(a, mem);
                spillOne(b, mem);
                Path engine = sm.engineDirectory();
                assertEquals(engine, a.path().getParent());
                assertEquals(engine, b.path().getParent());
                try (FileChannel ch = FileChannel.open(engine.resolve(EngineDirectory.LOCK_FILE), StandardOpenOption.WRITE)) {
                    assertTrue(throwsOverlap(ch), "this process holds the lock");
                }
                Path out = Files.createFile(mem.dataDir().resolve(".out.csv.123.tmp"));
                sm.stagingStarted(out);
                assertEquals(List.of(out.toAbsolutePath().toString()), Files.readAllLines(engine.resolve(EngineDirectory.STAGED_FILE)));
                a.close();
                b.close();
                assertTrue(Files.isDirectory(engine), "a recorded sink output keeps the directory");
                sm.stagingEnded(out);
                Files.delete(out);
                assertNull(sm.engineDirectory());
                assertFalse(Files.exists(engine), "the last user deletes the directory");
            }
        });
    }

    private static boolean throwsOverlap(FileChannel ch) throws Exception {
        try {
            FileLock l = ch.tryLock();
            if (l != null) {
                l.release();
            }
            return false;
        } catch (java.nio.channels.OverlappingFileLockException held) {
            return true;
        }
    }

    @Test
    void aSweepRemovesUnlockedDirectoriesWithTheirJournaledOutputsAndNothingElse() {
        assertNoLeaks(mem -> {
            Path root = mem.tempRoot();
            Path data = mem.dataDir();
            long self = ProcessHandle.current().pid();
            // Left by a killed engine whose process id is now this process's (a reused PID): the
            // lock file is there, no one holds it.
            Path dead = Files.createDirectories(root.resolve("spillway-" + self + "-dead"));
            Files.writeString(dead.resolve(EngineDirectory.LOCK_FILE), "pid 1\n");
            Path deadQuery = Files.createDirectories(dead.resolve("query-1-x"));
            Files.writeString(deadQuery.resolve("s.spill"), "old");
            Path tmp = Files.writeString(data.resolve(".result.csv.4711.tmp"), "partial");
            Path staging = Files.createDirectories(data.resolve("parts").resolve(".spillway-staging-99"));
            Files.writeString(staging.resolve("part-00000.parquet"), "partial");
            Path notOurs = Files.writeString(data.resolve("precious.csv"), "keep");
            Files.writeString(dead.resolve(EngineDirectory.STAGED_FILE), tmp + "\n" + staging + "\n" + notOurs + "\nrelative.tmp\n");
            // Half made (killed between mkdir and rename), with its lock file.
            Path init = Files.createDirectories(root.resolve(".spillway-init-" + self + "-half"));
            Files.writeString(init.resolve(EngineDirectory.LOCK_FILE), "");
            // A live engine of this process.
            try (SpillManager live = new SpillManager(SpillConfig.defaults().withRoot(root).withSweepStale(false), mem.pool());
                 SpillDirectory q = live.createQueryDirectory("q", mem.budget())) {
                spillOne(q, mem);
                Path liveDir = live.engineDirectory();
                try (SpillManager sweeper = new SpillManager(SpillConfig.defaults().withRoot(root), mem.pool())) {
                    assertFalse(Files.exists(dead), "the unlocked directory is swept");
                    assertFalse(Files.exists(init), "the half-made directory is swept");
                    assertFalse(Files.exists(tmp), "the killed sink's temporary file is swept");
                    assertFalse(Files.exists(staging), "the killed partitioned sink's staging directory is swept");
                    assertTrue(Files.exists(notOurs), "a journal entry that is no sink output is left alone");
                    assertTrue(Files.isDirectory(liveDir) && Files.exists(q.path()), "the live engine's directory stays");
                    assertEquals(0, sweeper.sweepStale());
                }
                assertTrue(Files.isDirectory(liveDir));
            }
            Files.delete(notOurs);
            Files.delete(data.resolve("parts"));
        });
    }
}
