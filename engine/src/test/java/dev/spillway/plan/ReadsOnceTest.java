package dev.spillway.plan;

import dev.spillway.errors.PlanException;

import dev.spillway.memory.BlockPool;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.types.Schema;
import dev.spillway.scheduler.Source;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A plan reading a single-pass external input anywhere in its tree is never retried. */
class ReadsOnceTest {
    private static final ExternalScan ONCE = new ExternalScan() {
        @Override
        public Schema schema() {
            return Schema.of(Field.of("x", DataType.INT64));
        }

        @Override
        public String label() {
            return "test stream";
        }

        @Override
        public Source open(BlockPool pool, MemoryBudget budget, int morselRows) {
            throw new PlanException("not read in this test");
        }

        @Override
        public void close() {
        }
    };

    @Test
    void anExternalScanAnywhereMakesThePlanReadOnce() {
        LogicalPlan range = new RangeNode("x", 0, 10);
        LogicalPlan external = new ExternalScanNode(ONCE);
        assertFalse(LogicalPlan.readsOnce(range));
        assertFalse(LogicalPlan.readsOnce(new UnionNode(List.of(range, new CacheNode(1, range)))));
        assertTrue(LogicalPlan.readsOnce(external));
        assertTrue(LogicalPlan.readsOnce(new UnionNode(List.of(range, new CacheNode(2, external)))));
    }
}
