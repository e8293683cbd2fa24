package dev.spillway.operators.join;

import dev.spillway.event.BlocksEvicted;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.RandomData;
import dev.spillway.operators.OperatorContext;
import dev.spillway.spill.SpillConfig;
import dev.spillway.spill.SpillDirectory;
import dev.spillway.spill.SpillManager;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The spillable block store: eviction spares pinned blocks, read-back returns the same rows, memory is accounted. */
class BlockStoreTest {
    private static final Schema SCHEMA = Schema.of(Field.of("a", DataType.INT64), Field.of("s", DataType.UTF8));

    @Test
    void evictionSparesPinnedBlocksAndReadBackGivesTheSameRows() {
        assertNoLeaks(mem -> {
            Random rnd = new Random(5);
            List<List<List<Object>>> blocks = new ArrayList<>();
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            try (SpillManager sm = new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
                 MemoryBudget query = mem.budget().child("q");
                 SpillDirectory dir = sm.createQueryDirectory("q", query);
                 MemoryBudget storeBudget = query.child("store")) {
                try (BlockStore store = new BlockStore(SCHEMA,
                        OperatorContext.of(mem.pool(), storeBudget, dir).withEvents(events::add), "test-blocks")) {
                    for (int b = 0; b < 5; b++) {
                        List<List<Object>> rows = RandomData.rows(SCHEMA, 200 + b, rnd, 0.1);
                        blocks.add(rows);
                        store.add(RandomData.morsel(SCHEMA, rows, b, mem.pool(), storeBudget));
                    }
                    long resident = storeBudget.reserved();
                    try (BlockStore.Handle pinned = store.acquire(4)) {
                        assertFalse(pinned.readBack());
                        long freed = store.spill(Long.MAX_VALUE);
                        assertTrue(freed > 0 && storeBudget.reserved() < resident, "evicted: " + freed);
                        assertEquals(4, store.spilledBlocks(), "every block but the pinned one");
                        assertEquals(blocks.get(4), RandomData.rowsOf(pinned.morsel()), "the pinned block is intact");
                    }
                    long afterEviction = storeBudget.reserved();
                    for (int b = 0; b < 5; b++) {
                        try (BlockStore.Handle h = store.acquire(b)) {
                            assertEquals(b < 4, h.readBack(), "block " + b);
                            assertEquals(blocks.get(b), RandomData.rowsOf(h.morsel()), "block " + b);
                            if (h.readBack()) {
                                assertTrue(storeBudget.reserved() > afterEviction, "a read-back copy is charged to the store");
                            }
                        }
                        assertEquals(afterEviction, storeBudget.reserved(), "released with the handle");
                    }
                    assertEquals(4, store.readBackBlocks());
                    assertEquals(5L * 200 + 10, store.rowCount());
                }
                assertEquals(0, storeBudget.reserved());
            }
            assertTrue(events.stream().anyMatch(e -> e instanceof BlocksEvicted b && b.component().equals("nested-loop-join")
                    && b.blocks() == 4), events.toString());
        });
    }
}
