package dev.spillway.sql;

import dev.spillway.Expr;
import dev.spillway.LazyFrame;
import dev.spillway.memory.Morsel;
import dev.spillway.operators.join.JoinType;
import dev.spillway.plan.CsvScanNode;
import dev.spillway.plan.FilterNode;
import dev.spillway.plan.FormatScanNode;
import dev.spillway.plan.GroupByNode;
import dev.spillway.plan.InMemoryNode;
import dev.spillway.plan.JoinNode;
import dev.spillway.plan.LogicalPlan;
import dev.spillway.plan.NestedLoopJoinNode;
import dev.spillway.plan.RangeNode;
import dev.spillway.plan.SliceNode;
import dev.spillway.plan.TopKNode;
import dev.spillway.plan.UnionNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Rough output sizes of relations, for ordering the joins of a FROM list and for deciding whether
 * a correlated subquery is worth restricting to the outer query's keys. No statistics are kept:
 * a relation is its base size (the bytes of the files or frames it reads, before any filter) and a
 * selectivity (the fraction of those rows its filters and joins keep, guessed from the shape of
 * each predicate). An equi-join is assumed to match a foreign key to a primary key: its result
 * keeps the larger base, and both selectivities multiply ({@link #join}). The figures only rank
 * alternatives; they are never shown as row counts.
 *
 * @param base        bytes of the inputs before filtering
 * @param selectivity the fraction of them that survives, in (0, 1]
 */
record Cardinality(double base, double selectivity) {
    /** Below this a selectivity stops shrinking, so that long chains of guesses stay comparable. */
    private static final double FLOOR = 1e-9;
    /** What an unknown input is taken to be: a mid-sized file. */
    private static final double UNKNOWN_BYTES = 64 << 20;

    Cardinality {
        selectivity = Math.max(FLOOR, Math.min(1.0, selectivity));
        base = Math.max(1.0, base);
    }

    /** The estimated size of the output. */
    double size() {
        return base * selectivity;
    }

    /** This relation after a filter by {@code predicate}. */
    Cardinality filter(Expr predicate) {
        return new Cardinality(base, selectivity * selectivity(predicate));
    }

    /** The inner equi-join of two relations, a foreign key of one matching the primary key of the other. */
    static Cardinality join(Cardinality a, Cardinality b) {
        return new Cardinality(Math.max(a.base, b.base), a.selectivity * b.selectivity);
    }

    /** The estimate of a frame's plan. */
    static Cardinality of(LazyFrame frame) {
        return of(frame.logicalPlan());
    }

    static Cardinality of(LogicalPlan plan) {
        return switch (plan) {
            case FormatScanNode s -> new Cardinality(fileBytes(s.files()), 1);
            case CsvScanNode s -> new Cardinality(fileBytes(s.files()), 1);
            case InMemoryNode m -> new Cardinality(m.morsels().stream().mapToLong(Morsel::byteSize).sum(), 1);
            case RangeNode r -> new Cardinality(8.0 * Math.max(0, r.end() - r.start()), 1);
            case FilterNode f -> of(f.input()).filter(f.predicate());
            case JoinNode j -> {
                Cardinality l = of(j.left());
                Cardinality r = of(j.right());
                yield switch (j.how()) {
                    case INNER -> join(l, r);
                    case SEMI -> new Cardinality(l.base, l.selectivity * Math.min(1.0, r.size() / l.size()));
                    case ANTI -> new Cardinality(l.base, l.selectivity / 2);
                    case LEFT -> l;
                    case RIGHT -> r;
                    default -> new Cardinality(Math.max(l.base, r.base), Math.max(l.selectivity, r.selectivity));
                };
            }
            case NestedLoopJoinNode n -> {
                Cardinality l = of(n.left());
                Cardinality r = of(n.right());
                Cardinality both = new Cardinality(Math.max(l.base, r.base), l.selectivity * r.selectivity);
                yield n.predicate() == null || n.how() != JoinType.INNER ? both : both.filter(n.predicate());
            }
            case GroupByNode g -> g.keys().isEmpty() ? new Cardinality(1, 1) : of(g.input()).resized(0.5);
            case UnionNode u -> new Cardinality(u.inputs().stream().mapToDouble(i -> of(i).size()).sum(), 1);
            case SliceNode s -> of(s.input()).atMost(s.length() * 16.0 * s.schema().size());
            case TopKNode t -> of(t.input()).atMost(t.k() * 16.0 * t.schema().size());
            default -> plan.inputs().isEmpty() ? new Cardinality(UNKNOWN_BYTES, 1) : of(plan.inputs().get(0));
        };
    }

    /** A relation of {@code factor} times this size that is a base of its own (a group-by's output). */
    private Cardinality resized(double factor) {
        return new Cardinality(size() * factor, 1);
    }

    private Cardinality atMost(double bytes) {
        return size() <= bytes ? this : new Cardinality(bytes, 1);
    }

    private static double fileBytes(List<Path> files) {
        double total = 0;
        for (Path f : files) {
            try {
                total += Files.size(f);
            } catch (IOException e) {
                total += UNKNOWN_BYTES;
            }
        }
        return total;
    }

    /** The guessed fraction of rows a predicate keeps, by its shape. */
    static double selectivity(Expr e) {
        return switch (e) {
            case Expr.Binary b -> switch (b.op()) {
                case AND -> selectivity(b.left()) * selectivity(b.right());
                case OR -> {
                    double x = selectivity(b.left());
                    double y = selectivity(b.right());
                    yield x + y - x * y;
                }
                case EQ -> 0.1;
                case NE -> 0.9;
                case LT, LE, GT, GE -> 1.0 / 3;
                default -> 0.5;
            };
            case Expr.Unary u -> switch (u.op()) {
                case NOT -> 1 - selectivity(u.input());
                case IS_NULL -> 0.05;
                case IS_NOT_NULL -> 0.95;
                default -> 0.5;
            };
            case Expr.Between b -> 0.25;
            case Expr.IsIn i -> Math.min(0.5, 0.1 * i.values().size());
            case Expr.Like l -> l.negated() ? 0.9 : 0.1;
            case Expr.StringMatch m -> 0.1;
            case Expr.Literal l -> Boolean.FALSE.equals(l.value()) ? 0.0 : 1.0;
            case Expr.Alias a -> selectivity(a.input());
            default -> 0.5;
        };
    }
}
