package dev.spillway.plan;

import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;

import java.util.List;

/**
 * Rows already in native memory (a collected {@code DataFrame}); the owner keeps the morsels
 * alive while queries read them, and scans take zero-copy views.
 *
 * @param schema  the schema
 * @param morsels the data, in order (not owned by the node)
 */
public record InMemoryNode(Schema schema, List<Morsel> morsels) implements LogicalPlan {
    /** Copies the list. */
    public InMemoryNode {
        morsels = List.copyOf(morsels);
    }

    /** Total rows. */
    public long rowCount() {
        long n = 0;
        for (Morsel m : morsels) {
            n += m.rowCount();
        }
        return n;
    }

    @Override
    public List<LogicalPlan> inputs() {
        return List.of();
    }

    @Override
    public LogicalPlan withInputs(List<LogicalPlan> inputs) {
        return this;
    }

    @Override
    public String label() {
        return "IN MEMORY " + rowCount() + " rows " + schema.names();
    }
}
