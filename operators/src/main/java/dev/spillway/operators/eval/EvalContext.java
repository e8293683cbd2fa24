package dev.spillway.operators.eval;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;

/**
 * Where expression results get their memory.
 *
 * @param pool   the block pool
 * @param budget the budget results are charged to
 */
public record EvalContext(BlockPool pool, MemoryBudget budget) {
}
