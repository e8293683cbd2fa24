package dev.spillway.sql;

import dev.spillway.internal.EngineInternals;

import dev.spillway.Expr;
import dev.spillway.LazyFrame;
import dev.spillway.formats.parquet.ParquetScan;
import dev.spillway.memory.Morsel;
import dev.spillway.plan.CsvScanNode;
import dev.spillway.plan.FilterNode;
import dev.spillway.plan.FormatScanNode;
import dev.spillway.plan.GroupByNode;
import dev.spillway.plan.InMemoryNode;
import dev.spillway.plan.JoinNode;
import dev.spillway.plan.LogicalPlan;
import dev.spillway.plan.NestedLoopJoinNode;
import dev.spillway.plan.ProjectNode;
import dev.spillway.plan.RangeNode;
import dev.spillway.plan.SliceNode;
import dev.spillway.plan.TopKNode;
import dev.spillway.plan.UnionNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Estimated row counts of plans, for ordering the joins of a FROM list and for deciding whether a
 * correlated subquery is worth restricting to the outer query's keys. The only statistics are
 * those files carry: a Parquet footer's row count and its integer columns' minimum and maximum
 * (which bound their distinct values); other inputs are their exact rows (frames, ranges) or
 * their bytes at {@value #BYTES_PER_ROW} bytes a row (CSV, IPC). Predicates keep a fraction of
 * rows guessed from their shape; an equi-join keeps {@code |L| |R| / max(d(L.k), d(R.k))} rows,
 * where a side's distinct keys {@code d} are bounded by its rows and by the other side's base
 * table (keys are assumed contained in the side with more of them). The figures only rank
 * alternatives; they are never shown as row counts.
 */
final class Cardinality {
    /** Bytes a row is taken to occupy in a file without a row count. */
    static final double BYTES_PER_ROW = 32;
    /** What an input of unknown size is taken to be. */
    private static final double UNKNOWN_ROWS = 1e6;
    /** Footers read per scan at most; the rest of a large glob is extrapolated by bytes. */
    private static final int MAX_FOOTERS = 16;
    /** Footer statistics by file, valid while its size and modification time stay. */
    private static final Map<Path, Footer> FOOTERS = new ConcurrentHashMap<>();

    private record Footer(long size, FileTime modified, ParquetScan.FileStatistics statistics) {
    }

    /**
     * What is known of a column's values in the table it comes from.
     *
     * @param distinct  its distinct values in the whole table (NaN when unknown)
     * @param tableRows the rows of that table
     */
    record Column(double distinct, double tableRows) {
        static final Column UNKNOWN = new Column(Double.NaN, Double.NaN);
    }

    private Cardinality() {
    }

    /** The estimated rows of a frame. */
    static double rows(LazyFrame frame) {
        return rows(EngineInternals.logicalPlan(frame));
    }

    static double rows(LogicalPlan plan) {
        return Math.max(1.0, switch (plan) {
            case FormatScanNode s -> s.format() == FormatScanNode.Format.PARQUET ? parquetRows(s.files())
                    : fileBytes(s.files()) / BYTES_PER_ROW;
            case CsvScanNode s -> fileBytes(s.files()) / BYTES_PER_ROW;
            case InMemoryNode m -> m.morsels().stream().mapToLong(Morsel::rowCount).sum();
            case RangeNode r -> Math.max(0, r.end() - r.start());
            case FilterNode f -> rows(f.input()) * selectivity(f.predicate(), f.input());
            case JoinNode j -> {
                double l = rows(j.left());
                double r = rows(j.right());
                yield switch (j.how()) {
                    case INNER -> join(j.left(), l, j.right(), r, j.leftOn(), j.rightOn());
                    case SEMI -> l * Math.min(1.0, r / l);
                    case ANTI -> l / 2;
                    case LEFT -> Math.max(l, join(j.left(), l, j.right(), r, j.leftOn(), j.rightOn()));
                    default -> Math.max(l, r);
                };
            }
            case NestedLoopJoinNode n -> {
                double both = rows(n.left()) * rows(n.right());
                yield n.predicate() == null ? both : both * selectivity(n.predicate(), null);
            }
            case GroupByNode g -> g.keys().isEmpty() ? 1 : rows(g.input()) / 2;
            case UnionNode u -> u.inputs().stream().mapToDouble(Cardinality::rows).sum();
            case SliceNode s -> Math.min(rows(s.input()), s.length());
            case TopKNode t -> Math.min(rows(t.input()), t.k());
            default -> plan.inputs().isEmpty() ? UNKNOWN_ROWS : rows(plan.inputs().get(0));
        });
    }

    /**
     * The rows of an inner equi-join of {@code left} ({@code lRows} rows) and {@code right} on
     * the key pairs: {@code |L| |R|} over the larger of the two sides' distinct keys, each side's
     * bounded by its rows and by the other side's whole table.
     */
    static double join(LogicalPlan left, double lRows, LogicalPlan right, double rRows, List<String> leftOn,
            List<String> rightOn) {
        double dl = 1;
        double dr = 1;
        double lBase = 1;
        double rBase = 1;
        for (int k = 0; k < leftOn.size(); k++) {
            Column lc = column(left, leftOn.get(k));
            Column rc = column(right, rightOn.get(k));
            // Unknown distinct values: taken as unique in their table (a key), else in the rows at hand.
            dl *= !Double.isNaN(lc.distinct()) ? lc.distinct() : !Double.isNaN(lc.tableRows()) ? lc.tableRows() : lRows;
            dr *= !Double.isNaN(rc.distinct()) ? rc.distinct() : !Double.isNaN(rc.tableRows()) ? rc.tableRows() : rRows;
            lBase = Math.max(lBase, Double.isNaN(lc.tableRows()) ? lRows : lc.tableRows());
            rBase = Math.max(rBase, Double.isNaN(rc.tableRows()) ? rRows : rc.tableRows());
        }
        // All of a side's key values in its whole table, then what its rows can hold.
        double lAll = Math.min(dl, lBase);
        double rAll = Math.min(dr, rBase);
        double lNow = Math.min(Math.min(lAll, lRows), rAll);
        double rNow = Math.min(Math.min(rAll, rRows), lAll);
        return lRows * rRows / Math.max(1.0, Math.max(lNow, rNow));
    }

    /** What is known of {@code name}'s values, following renames down to the table it comes from. */
    static Column column(LogicalPlan plan, String name) {
        return switch (plan) {
            case FormatScanNode s when s.format() == FormatScanNode.Format.PARQUET -> {
                ParquetScan.FileStatistics first = footer(s.files().isEmpty() ? null : s.files().get(0));
                double rows = parquetRows(s.files());
                long[] range = first == null || s.files().size() > 1 ? null : first.integerRanges().get(name);
                yield new Column(range == null ? Double.NaN : Math.min(rows, (double) range[1] - range[0] + 1), rows);
            }
            case RangeNode r -> new Column(Math.max(1, r.end() - r.start()), Math.max(1, r.end() - r.start()));
            case FormatScanNode s -> new Column(Double.NaN, rows(s));
            case CsvScanNode s -> new Column(Double.NaN, rows(s));
            case InMemoryNode m -> new Column(Double.NaN, rows(m));
            case ProjectNode p -> {
                for (Expr e : p.exprs()) {
                    if (e.outputName().equals(name)) {
                        Expr inner = e instanceof Expr.Alias a ? a.input() : e;
                        yield inner instanceof Expr.Column c ? column(p.input(), c.name()) : Column.UNKNOWN;
                    }
                }
                yield Column.UNKNOWN;
            }
            case JoinNode j -> j.left().schema().indexOf(name) >= 0 ? column(j.left(), name)
                    : j.right().schema().indexOf(name) >= 0 ? column(j.right(), name) : Column.UNKNOWN;
            case NestedLoopJoinNode j -> j.left().schema().indexOf(name) >= 0 ? column(j.left(), name)
                    : j.right().schema().indexOf(name) >= 0 ? column(j.right(), name) : Column.UNKNOWN;
            case GroupByNode g -> {
                for (Expr k : g.keys()) {
                    Expr inner = k instanceof Expr.Alias a ? a.input() : k;
                    if (k.outputName().equals(name) && inner instanceof Expr.Column c) {
                        yield column(g.input(), c.name());
                    }
                }
                yield Column.UNKNOWN;
            }
            case FilterNode f -> column(f.input(), name);
            case UnionNode u -> Column.UNKNOWN;
            default -> plan.inputs().size() == 1 ? column(plan.inputs().get(0), name) : Column.UNKNOWN;
        };
    }

    /**
     * The guessed fraction of the rows of {@code input} that {@code predicate} keeps, by its shape:
     * an equality with a literal keeps one distinct value's share (from the column's statistics,
     * else the square root of its table's rows, between 1/1000 and 1/2), a range a third, BETWEEN
     * a quarter, LIKE a tenth; AND multiplies, OR adds.
     */
    static double selectivity(Expr predicate, LogicalPlan input) {
        return switch (predicate) {
            case Expr.Binary b -> switch (b.op()) {
                case AND -> selectivity(b.left(), input) * selectivity(b.right(), input);
                case OR -> {
                    double x = selectivity(b.left(), input);
                    double y = selectivity(b.right(), input);
                    yield x + y - x * y;
                }
                case EQ -> b.right() instanceof Expr.Literal ? equality(b.left(), input)
                        : b.left() instanceof Expr.Literal ? equality(b.right(), input) : 0.1;
                case NE -> 0.9;
                case LT, LE, GT, GE -> 1.0 / 3;
                default -> 0.5;
            };
            case Expr.Unary u -> switch (u.op()) {
                case NOT -> 1 - selectivity(u.input(), input);
                case IS_NULL -> 0.05;
                case IS_NOT_NULL -> 0.95;
                default -> 0.5;
            };
            case Expr.Between b -> 0.25;
            case Expr.IsIn i -> Math.min(0.5, equality(i.input(), input) * i.values().size());
            case Expr.Like l -> l.negated() ? 0.9 : 0.1;
            case Expr.StringMatch m -> 0.1;
            case Expr.Literal l -> Boolean.FALSE.equals(l.value()) ? 0.0 : 1.0;
            case Expr.Alias a -> selectivity(a.input(), input);
            default -> 0.5;
        };
    }

    /** The share of rows with one value of {@code e}. */
    private static double equality(Expr e, LogicalPlan input) {
        Column c = input != null && e instanceof Expr.Column col ? column(input, col.name()) : Column.UNKNOWN;
        if (!Double.isNaN(c.distinct())) {
            return 1 / Math.max(1.0, c.distinct());
        }
        double rows = Double.isNaN(c.tableRows()) ? (input == null ? UNKNOWN_ROWS : rows(input)) : c.tableRows();
        return Math.max(0.001, Math.min(0.5, 1 / Math.sqrt(Math.max(1.0, rows))));
    }

    private static double parquetRows(List<Path> files) {
        double rows = 0;
        double bytesRead = 0;
        int n = 0;
        for (Path f : files) {
            if (n == MAX_FOOTERS) {
                // Extrapolate the rest by bytes.
                double rest = fileBytes(files.subList(n, files.size()));
                return bytesRead > 0 ? rows + rest * rows / bytesRead : rows + rest / BYTES_PER_ROW;
            }
            ParquetScan.FileStatistics st = footer(f);
            rows += st == null ? fileBytes(List.of(f)) / BYTES_PER_ROW : st.rows();
            bytesRead += fileBytes(List.of(f));
            n++;
        }
        return rows;
    }

    /** The footer statistics of {@code file}, cached while the file is unchanged; null when unreadable. */
    private static ParquetScan.FileStatistics footer(Path file) {
        if (file == null) {
            return null;
        }
        try {
            long size = Files.size(file);
            FileTime modified = Files.getLastModifiedTime(file);
            Footer f = FOOTERS.get(file);
            if (f == null || f.size() != size || !f.modified().equals(modified)) {
                f = new Footer(size, modified, ParquetScan.statistics(file));
                if (FOOTERS.size() > 4096) {
                    FOOTERS.clear();
                }
                FOOTERS.put(file, f);
            }
            return f.statistics();
        } catch (IOException | RuntimeException e) {
            // Planning goes on without statistics; reading the file reports the problem.
            return null;
        }
    }

    private static double fileBytes(List<Path> files) {
        double total = 0;
        for (Path f : files) {
            try {
                total += Files.size(f);
            } catch (IOException e) {
                total += UNKNOWN_ROWS * BYTES_PER_ROW;
            }
        }
        return total;
    }
}
