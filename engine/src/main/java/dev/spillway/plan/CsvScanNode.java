package dev.spillway.plan;

import dev.spillway.types.Schema;
import dev.spillway.options.CsvOptions;

import java.nio.file.Path;
import java.util.List;

/**
 * Reads CSV files.
 *
 * @param files      the files, in order
 * @param options    parsing options
 * @param fileSchema the columns of the files
 * @param projection the columns to materialise, in file order; null for all
 */
public record CsvScanNode(List<Path> files, CsvOptions options, Schema fileSchema, List<String> projection)
        implements LogicalPlan {
    /** Validates the projection. */
    public CsvScanNode {
        files = List.copyOf(files);
        if (projection != null) {
            fileSchema.project(projection);
            projection = List.copyOf(projection);
        }
    }

    @Override
    public Schema schema() {
        return fileSchema.project(projection);
    }

    /** Positions of the projected columns in the file schema (all when not projected). */
    public int[] projectionIndexes() {
        Schema s = schema();
        int[] idx = new int[s.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = fileSchema.require(s.field(i).name());
        }
        return idx;
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
        String what = files.size() == 1 ? files.get(0).getFileName().toString() : files.size() + " files";
        return "SCAN CSV " + what + " columns=" + (projection == null ? "*" : String.join(",", projection));
    }
}
