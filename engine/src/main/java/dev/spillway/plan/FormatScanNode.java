package dev.spillway.plan;

import dev.spillway.Expr;
import dev.spillway.event.EventSink;
import dev.spillway.formats.HiveColumns;
import dev.spillway.formats.ipc.IpcScan;
import dev.spillway.formats.parquet.ColumnBound;
import dev.spillway.formats.parquet.ParquetScan;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.types.Schema;
import dev.spillway.expr.BinaryOp;
import dev.spillway.scheduler.Source;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads Parquet or Arrow IPC files.
 *
 * @param format     the file format
 * @param files      the files, in order
 * @param fileSchema the columns of the files
 * @param projection the columns to read, in file order; null for all
 * @param bounds     comparisons from a filter above, used by Parquet to skip row groups by statistics
 *                   (and files, by their partition values)
 * @param hive       the partition columns of a hive-style directory (the last fields of
 *                   {@code fileSchema}); null when there are none
 */
public record FormatScanNode(Format format, List<Path> files, Schema fileSchema, List<String> projection,
        List<ColumnBound> bounds, HiveColumns hive) implements LogicalPlan {
    /** The formats. */
    public enum Format {
        /** Apache Parquet. */
        PARQUET,
        /** Arrow IPC file format (Feather v2). */
        IPC
    }

    /** Validates the projection. */
    public FormatScanNode {
        files = List.copyOf(files);
        bounds = List.copyOf(bounds);
        if (projection != null) {
            fileSchema.project(projection);
            projection = List.copyOf(projection);
        }
    }

    @Override
    public Schema schema() {
        return fileSchema.project(projection);
    }

    /** This scan reading only the columns in {@code required} (at least one); all when null. */
    FormatScanNode project(Set<String> required) {
        if (required == null) {
            return this;
        }
        List<String> keep = Optimizer.scanColumns(schema(), required);
        return new FormatScanNode(format, files, fileSchema, keep.size() == fileSchema.size() ? null : keep, bounds, hive);
    }

    /** This scan with {@code more} bounds. */
    FormatScanNode withBounds(List<ColumnBound> more) {
        List<ColumnBound> all = new ArrayList<>(bounds);
        all.addAll(more);
        return new FormatScanNode(format, files, fileSchema, projection, all, hive);
    }

    /**
     * The {@code col op literal} conjuncts of {@code predicate} (ANDs descended, a {@code between}
     * as its two comparisons; anything else ignored).
     */
    static List<ColumnBound> bounds(Expr predicate) {
        List<ColumnBound> out = new ArrayList<>();
        collect(predicate, out);
        return out;
    }

    private static void collect(Expr e, List<ColumnBound> out) {
        if (e instanceof Expr.Between between) {
            // x BETWEEN lo AND hi holds only where both x >= lo and x <= hi do.
            collect(new Expr.Binary(BinaryOp.GE, between.input(), between.lo()), out);
            collect(new Expr.Binary(BinaryOp.LE, between.input(), between.hi()), out);
            return;
        }
        if (!(e instanceof Expr.Binary b)) {
            return;
        }
        if (b.op() == BinaryOp.AND) {
            collect(b.left(), out);
            collect(b.right(), out);
            return;
        }
        String op = switch (b.op()) {
            case EQ -> "=";
            case NE -> "!=";
            case LT -> "<";
            case LE -> "<=";
            case GT -> ">";
            case GE -> ">=";
            default -> null;
        };
        if (op == null) {
            return;
        }
        if (b.left() instanceof Expr.Column c && b.right() instanceof Expr.Literal l && literal(l) != null) {
            out.add(new ColumnBound(c.name(), op, literal(l)));
        } else if (b.right() instanceof Expr.Column c && b.left() instanceof Expr.Literal l && literal(l) != null) {
            String flipped = switch (op) {
                case "<" -> ">";
                case "<=" -> ">=";
                case ">" -> "<";
                case ">=" -> "<=";
                default -> op;
            };
            out.add(new ColumnBound(c.name(), flipped, literal(l)));
        }
    }

    private static Object literal(Expr.Literal l) {
        return switch (l.value()) {
            case Long v -> v;
            case Integer v -> v;
            case Double v -> v;
            case java.math.BigDecimal v -> v;
            case Boolean v -> v;
            case String v -> v;
            case LocalDate d -> (int) d.toEpochDay();
            case null, default -> null;
        };
    }

    /**
     * The scheduler source of this scan; Parquet row groups are handed out in morsels of at most
     * {@code morselRows} and decoded by {@code threads} threads.
     */
    Source source(BlockPool pool, MemoryBudget budget, EventSink log, int morselRows, int threads) {
        return switch (format) {
            case PARQUET -> new ParquetScan(files, fileSchema, schema().names(), bounds, hive, morselRows, pool, budget, log)
                    .decodeThreads(threads).source();
            case IPC -> new IpcScan(files, fileSchema, schema().names(), hive, pool, budget).source();
        };
    }

    /** The line in {@code explain()}. */
    String explainLabel() {
        String what = files.size() == 1 ? files.get(0).getFileName().toString() : files.size() + " files";
        return "STREAMING_SCAN_" + format + " " + what + " columns=[" + String.join(", ", schema().names()) + "]"
                + (hive == null ? "" : " hive-partitions=" + hive.names())
                + (bounds.isEmpty() ? "" : " row-group-bounds=" + bounds);
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
        return "SCAN " + format + " " + what + " columns=" + (projection == null ? "*" : String.join(",", projection))
                + (hive == null ? "" : " hive=" + hive.names()) + (bounds.isEmpty() ? "" : " bounds=" + bounds);
    }
}
