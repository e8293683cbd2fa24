package dev.spillway.jcstress;

import dev.spillway.memory.BlockPool;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.RandomData;
import dev.spillway.scheduler.QueryContext;
import dev.spillway.scheduler.TaskContext;
import dev.spillway.scheduler.WorkerPool;
import dev.spillway.spill.SpillConfig;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntToLongFunction;

/**
 * What the tests of one forked VM share: a block pool and an unlimited budget (jcstress creates
 * a state object per iteration, far too often for a pool each), and a context whose query is
 * never cancelled. The morsels made here live as long as the VM.
 */
final class Fixtures {
    static final BlockPool POOL = new BlockPool();
    static final MemoryBudget BUDGET = MemoryBudget.root("jcstress", MemoryBudget.UNLIMITED);
    static final Schema KEY_VALUE = Schema.of(Field.of("k", DataType.INT64), Field.of("v", DataType.INT64));
    /** A pool that tests submitting whole queries share (its daemon workers end with the VM). */
    static final WorkerPool WORKERS = new WorkerPool(2);

    private Fixtures() {
    }

    /**
     * The spill directory operators are given. Nothing spills in these tests (the budget has no
     * cap and no spilling is forced); the directory and its root are deleted when the VM exits.
     */
    static SpillDirectory spills() {
        return Spills.DIRECTORY;
    }

    private static final class Spills {
        static final SpillDirectory DIRECTORY;

        static {
            try {
                Path root = Files.createTempDirectory("spillway-jcstress");
                SpillManager manager = new SpillManager(SpillConfig.defaults().withRoot(root), POOL);
                DIRECTORY = manager.createQueryDirectory("jcstress", BUDGET);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    DIRECTORY.close();
                    try {
                        Files.deleteIfExists(root);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** A context for pulls made off the worker pool (worker 0 of a query that is never cancelled). */
    static TaskContext context() {
        return new TaskContext(0, new QueryContext("jcstress"));
    }

    /** A morsel of {@code rows} rows with {@code k = key(i)} and {@code v = i}. */
    static Morsel keyValue(int rows, IntToLongFunction key) {
        List<List<Object>> data = new ArrayList<>(rows);
        for (int i = 0; i < rows; i++) {
            data.add(Arrays.asList(key.applyAsLong(i), (long) i));
        }
        return RandomData.morsel(KEY_VALUE, data, 0, POOL, BUDGET);
    }
}
