package dev.spillway.plan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Rough sizes of plan outputs in bytes, for choosing a join's build side: files by their size
 * (scaled to the projected columns), in-memory frames by their bytes, ranges at 8 bytes a row;
 * a filter halves its input, a projection scales it by its share of the columns. Unknown is -1.
 */
final class SizeEstimate {
    private SizeEstimate() {
    }

    /** Estimated bytes of the rows {@code plan} produces, or -1 when there is no basis. */
    static long bytes(LogicalPlan plan) {
        return switch (plan) {
            case CsvScanNode s -> {
                long total = 0;
                for (Path f : s.files()) {
                    try {
                        total += Files.size(f);
                    } catch (IOException e) {
                        yield -1;
                    }
                }
                yield scale(total, s.schema().size(), s.fileSchema().size());
            }
            case RangeNode r -> Math.max(0, r.end() - r.start()) * 8;
            case InMemoryNode m -> m.morsels().stream().mapToLong(x -> x.byteSize()).sum();
            case ExternalScanNode x -> -1;
            case FilterNode f -> half(bytes(f.input()));
            case ProjectNode p -> scale(bytes(p.input()), p.schema().size(), p.input().schema().size());
            case SliceNode s -> {
                long in = bytes(s.input());
                long bound = s.length() >= Long.MAX_VALUE / 64 ? Long.MAX_VALUE : s.length() * 16 * s.schema().size();
                yield in < 0 ? -1 : Math.min(in, bound);
            }
            case UnionNode u -> {
                long total = 0;
                for (LogicalPlan in : u.inputs()) {
                    long b = bytes(in);
                    if (b < 0) {
                        yield -1;
                    }
                    total += b;
                }
                yield total;
            }
            case JoinNode j -> {
                long l = bytes(j.left());
                long r = bytes(j.right());
                yield l < 0 || r < 0 ? -1 : l + r;
            }
            default -> -1;
        };
    }

    private static long half(long b) {
        return b < 0 ? -1 : b / 2;
    }

    private static long scale(long bytes, int columns, int of) {
        return bytes < 0 || of == 0 ? bytes : (long) (bytes * ((double) columns / of));
    }
}
