package dev.spillway.plan;

import dev.spillway.types.Schema;

import java.util.List;
import java.util.Objects;

/**
 * Rows from an {@link ExternalScan}; all of its columns are read (a projection above drops the
 * unused ones).
 *
 * @param scan the scan
 */
public record ExternalScanNode(ExternalScan scan) implements LogicalPlan {
    /** Checks the scan is given. */
    public ExternalScanNode {
        Objects.requireNonNull(scan, "scan");
    }

    @Override
    public Schema schema() {
        return scan.schema();
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
        return scan.label() + " " + scan.schema().names();
    }
}
