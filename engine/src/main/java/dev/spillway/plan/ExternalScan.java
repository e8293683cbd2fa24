package dev.spillway.plan;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.types.Schema;
import dev.spillway.scheduler.Source;

/**
 * A scan whose rows come from outside the engine's file formats (an Arrow C stream, say), for
 * {@link ExternalScanNode}. It may be single-pass: {@link #open} then throws when called again.
 * Closing releases what the scan holds whether or not it was opened; it is idempotent.
 */
public interface ExternalScan extends AutoCloseable {
    /** The columns the scan produces. */
    Schema schema();

    /** A one-line description for {@code explain()}. */
    String label();

    /**
     * The scheduler source that reads the rows, charging what it holds to {@code budget}; morsels
     * have at most {@code morselRows} rows.
     *
     * @throws PlanException when the scan cannot be read (again)
     */
    Source open(BlockPool pool, MemoryBudget budget, int morselRows);

    /** Releases what the scan holds. Idempotent. */
    @Override
    void close();
}
