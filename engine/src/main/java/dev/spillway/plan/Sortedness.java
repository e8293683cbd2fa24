package dev.spillway.plan;

import dev.spillway.Expr;
import dev.spillway.SortKey;

import java.util.ArrayList;
import java.util.List;

/**
 * What the plan knows about the order of a node's rows: the keys they are sorted by, from a sort,
 * a top-k or a {@code setSorted} declaration, carried through the nodes that keep row order
 * (filters, projections that keep the key columns, possibly renamed, slices, tails) and through
 * merge and AsOf joins, whose output follows their left input.
 */
public final class Sortedness {
    private Sortedness() {
    }

    /** The keys {@code plan}'s rows are sorted by, most significant first; empty when unknown. */
    public static List<SortKey> of(LogicalPlan plan) {
        return switch (plan) {
            case SortNode s -> s.keys();
            case TopKNode t -> t.keys();
            case AssumeSortedNode a -> a.keys();
            case FilterNode f -> of(f.input());
            case SliceNode s -> of(s.input());
            case TailNode t -> of(t.input());
            case ProjectNode p -> throughProjection(of(p.input()), p.exprs());
            case MergeJoinNode m -> m.keepsLeftOrder() ? of(m.left()) : List.of();
            case AsofJoinNode a -> of(a.left());
            // Every reader of a cache gets its morsels in source order.
            case CacheNode c -> of(c.input());
            default -> List.of();
        };
    }

    /** Why the plan believes {@code plan} sorted, for error messages. */
    public static String origin(LogicalPlan plan) {
        return switch (plan) {
            case SortNode s -> "sorted by sort(" + s.keys() + ")";
            case TopKNode t -> "sorted by a top-k on " + t.keys();
            case AssumeSortedNode a -> "declared with setSorted(" + a.keys() + ")";
            case MergeJoinNode m -> "the output of a merge join, " + origin(m.left());
            case AsofJoinNode a -> "the output of an asof join, " + origin(a.left());
            default -> plan.inputs().size() == 1 ? origin(plan.inputs().get(0)) : "unknown order";
        };
    }

    /**
     * Whether {@code plan} is sorted ascending on exactly the columns {@code columns}, in some
     * order: they must be the first keys of its sort order.
     *
     * @return the columns in the order of the sort, or null when not sorted on them
     */
    public static List<String> ascendingOn(LogicalPlan plan, List<String> columns) {
        List<SortKey> keys = of(plan);
        if (keys.size() < columns.size()) {
            return null;
        }
        List<String> order = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            SortKey k = keys.get(i);
            if (k.descending() || !columns.contains(k.column()) || order.contains(k.column())) {
                return null;
            }
            order.add(k.column());
        }
        return order;
    }

    private static List<SortKey> throughProjection(List<SortKey> keys, List<Expr> exprs) {
        List<SortKey> out = new ArrayList<>();
        for (SortKey k : keys) {
            String renamed = null;
            for (Expr e : exprs) {
                Expr inner = e instanceof Expr.Alias a ? a.input() : e;
                if (inner instanceof Expr.Column c && c.name().equals(k.column())) {
                    renamed = e.outputName();
                    break;
                }
            }
            if (renamed == null) {
                break;
            }
            SortKey r = k.descending() ? SortKey.desc(renamed) : SortKey.asc(renamed);
            out.add(k.nullsAreFirst() ? r.nullsFirst() : r.nullsLast());
        }
        return out;
    }
}
