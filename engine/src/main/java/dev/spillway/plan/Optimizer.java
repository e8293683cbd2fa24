package dev.spillway.plan;

import dev.spillway.Expr;
import dev.spillway.SortKey;
import dev.spillway.types.DataType;
import dev.spillway.types.Schema;
import dev.spillway.expr.BinaryOp;
import dev.spillway.operators.eval.PhysicalExprs;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites a logical plan into a cheaper equivalent. Rules, applied in this order:
 * <ol>
 *   <li><b>Constant folding</b>: sub-expressions without column references are evaluated once,
 *       at plan time; a filter whose predicate folds to {@code true} disappears.</li>
 *   <li><b>Predicate pushdown</b>: filters move below projections (the projection's expressions
 *       are substituted into the predicate) and into every input of a union; adjacent filters
 *       merge. Filters never move below a slice or a group-by, which would change their result.</li>
 *   <li><b>Projection pushdown</b>: only the columns some later node needs are kept; CSV scans
 *       then parse only those columns, projections drop unused outputs, and a projection that only
 *       picks columns of the projection below merges into it.</li>
 * </ol>
 * Before them, <b>top-k</b>: a slice right above a sort ({@code sort(...).head(k)},
 * {@code sort(...).slice(offset, length)}) becomes a top-k of {@code offset + length} rows when
 * that is at most {@link #TOP_K_MAX_ROWS}, which keeps only those rows in memory instead of
 * sorting everything; it runs again after predicate pushdown, which moves a filter below a sort
(the order of the rows it keeps is unchanged), so {@code sort(...).filter(...).head(k)} becomes a
top-k too.
 *
 * <p>A {@link CacheNode} is shared by all its readers: a reader's filter stays above it (pushing it
 * in would drop rows the other readers need), and it keeps the union of the columns its readers
 * use ({@link CachePruning}).
 */
public final class Optimizer {
    private static final Schema EMPTY = new Schema(List.of());
    /** Largest {@code offset + length} of a slice over a sort that becomes a top-k (top-k holds these rows in memory). */
    public static final long TOP_K_MAX_ROWS = 1L << 20;

    private Optimizer() {
    }

    /** Applies every rule. */
    public static LogicalPlan optimize(LogicalPlan plan) {
        return optimizeAll(List.of(plan)).get(0);
    }

    /**
     * Applies every rule to plans that run as one query (several sinks): a {@link CacheNode} keeps
     * the union of the columns all its readers need, in any of the plans, and no reader's filter
     * is pushed into it.
     */
    public static List<LogicalPlan> optimizeAll(List<LogicalPlan> plans) {
        List<LogicalPlan> out = new ArrayList<>();
        for (LogicalPlan plan : plans) {
            LogicalPlan p = foldConstants(rewriteTopK(plan));
            // Again after pushdown: a filter between the slice and the sort has moved below the sort.
            out.add(NestedLoopJoinRules.useHashJoins(rewriteTopK(pushDownPredicates(p))));
        }
        return CachePruning.pushDownProjections(out);
    }

    // ------------------------------------------------------------------ top-k

    /** Turns a bounded slice of a sort into a top-k. */
    public static LogicalPlan rewriteTopK(LogicalPlan plan) {
        List<LogicalPlan> inputs = new ArrayList<>();
        for (LogicalPlan in : plan.inputs()) {
            inputs.add(rewriteTopK(in));
        }
        LogicalPlan p = plan.inputs().isEmpty() ? plan : plan.withInputs(inputs);
        if (p instanceof SliceNode s && s.input() instanceof SortNode sort && s.length() <= TOP_K_MAX_ROWS
                && s.offset() <= TOP_K_MAX_ROWS - s.length()) {
            TopKNode top = new TopKNode(sort.input(), sort.keys(), s.offset() + s.length());
            return s.offset() == 0 ? top : new SliceNode(top, s.offset(), s.length());
        }
        return p;
    }

    // ------------------------------------------------------------------ constant folding

    /** Folds constant sub-expressions everywhere in the tree. */
    public static LogicalPlan foldConstants(LogicalPlan plan) {
        List<LogicalPlan> inputs = new ArrayList<>();
        for (LogicalPlan in : plan.inputs()) {
            inputs.add(foldConstants(in));
        }
        LogicalPlan p = plan.inputs().isEmpty() ? plan : plan.withInputs(inputs);
        return switch (p) {
            case FilterNode f -> {
                Expr pred = fold(f.predicate());
                if (pred instanceof Expr.Literal l && Boolean.TRUE.equals(l.value())) {
                    yield f.input();
                }
                yield new FilterNode(f.input(), pred);
            }
            case ProjectNode pr -> {
                List<Expr> exprs = new ArrayList<>();
                for (Expr e : pr.exprs()) {
                    Expr folded = fold(e);
                    // Keep the column's name when folding replaced the expression that carried it.
                    exprs.add(folded.outputName().equals(e.outputName()) ? folded : folded.alias(e.outputName()));
                }
                yield new ProjectNode(pr.input(), exprs);
            }
            default -> p;
        };
    }

    /** Folds the constant sub-expressions of {@code e}. */
    public static Expr fold(Expr e) {
        List<Expr> children = new ArrayList<>();
        boolean changed = false;
        for (Expr c : e.children()) {
            Expr f = fold(c);
            changed |= f != c;
            children.add(f);
        }
        Expr x = changed ? e.withChildren(children) : e;
        if (x instanceof Expr.Literal || x instanceof Expr.Column || x instanceof Expr.Alias || !x.columns().isEmpty()) {
            return x;
        }
        try {
            var physical = ExprCompiler.compile(x, EMPTY);
            if (physical.type() == DataType.DECIMAL128 || physical.timeZone() != null) {
                // A literal's decimal type is its value's, and an Instant's zone is UTC: the expression's
                // declared precision or time zone would be lost.
                return x;
            }
            return new Expr.Literal(PhysicalExprs.evaluateConstant(physical), physical.type());
        } catch (RuntimeException cannotFoldNow) {
            // e.g. an untyped null, or a cast that fails: leave it for the query to report in context.
            return x;
        }
    }

    // ------------------------------------------------------------------ predicate pushdown

    /** Moves filters towards the sources. */
    public static LogicalPlan pushDownPredicates(LogicalPlan plan) {
        if (plan instanceof FilterNode f) {
            return pushFilter(f.predicate(), f.input());
        }
        if (plan instanceof NestedLoopJoinNode j) {
            return NestedLoopJoinRules.pushDown(j, null);
        }
        List<LogicalPlan> inputs = new ArrayList<>();
        for (LogicalPlan in : plan.inputs()) {
            inputs.add(pushDownPredicates(in));
        }
        return plan.inputs().isEmpty() ? plan : plan.withInputs(inputs);
    }

    private static LogicalPlan pushFilter(Expr predicate, LogicalPlan below) {
        return switch (below) {
            case FilterNode g -> pushFilter(new Expr.Binary(BinaryOp.AND, g.predicate(), predicate), g.input());
            case ProjectNode p -> {
                Map<String, Expr> defs = new HashMap<>();
                for (Expr e : p.exprs()) {
                    defs.put(e.outputName(), e instanceof Expr.Alias a ? a.input() : e);
                }
                Expr inlined = substitute(predicate, defs);
                yield new ProjectNode(pushFilter(inlined, p.input()), p.exprs());
            }
            case UnionNode u -> {
                List<LogicalPlan> branches = new ArrayList<>();
                for (LogicalPlan in : u.inputs()) {
                    branches.add(pushFilter(predicate, in));
                }
                yield new UnionNode(branches);
            }
            case FormatScanNode s -> new FilterNode(s.withBounds(FormatScanNode.bounds(predicate)), predicate);
            case SortNode s -> new SortNode(pushFilter(predicate, s.input()), s.keys(), s.stable());
            case NestedLoopJoinNode j -> NestedLoopJoinRules.pushDown(j, predicate);
            case AssumeSortedNode a -> new AssumeSortedNode(pushFilter(predicate, a.input()), a.keys());
            case MergeJoinNode m -> SortedJoins.pushFilter(predicate, m);
            case AsofJoinNode a -> SortedJoins.pushFilter(predicate, a);
            default -> new FilterNode(pushDownPredicates(below), predicate);
        };
    }

    private static Expr substitute(Expr e, Map<String, Expr> defs) {
        if (e instanceof Expr.Column c) {
            Expr def = defs.get(c.name());
            return def == null ? e : def;
        }
        List<Expr> children = new ArrayList<>();
        for (Expr child : e.children()) {
            children.add(substitute(child, defs));
        }
        return e.children().isEmpty() ? e : e.withChildren(children);
    }

    // ------------------------------------------------------------------ projection pushdown

    /**
     * The columns of a scan producing {@code scanned} that {@code required} names, in scan order;
     * never none: something must be read to count rows, and the narrowest choice is the first column.
     */
    static List<String> scanColumns(Schema scanned, Set<String> required) {
        List<String> keep = new ArrayList<>();
        for (String name : scanned.names()) {
            if (required.contains(name)) {
                keep.add(name);
            }
        }
        if (keep.isEmpty()) {
            keep.add(scanned.field(0).name());
        }
        return keep;
    }

    /**
     * Prunes columns no node above needs.
     *
     * @param required names needed by the parent, or null when all output columns are needed
     */
    public static LogicalPlan pushDownProjections(LogicalPlan plan, Set<String> required) {
        return switch (plan) {
            case CsvScanNode s -> {
                if (required == null) {
                    yield s;
                }
                List<String> keep = scanColumns(s.schema(), required);
                yield new CsvScanNode(s.files(), s.options(), s.fileSchema(),
                        keep.size() == s.fileSchema().size() ? null : keep);
            }
            case FormatScanNode s -> s.project(required);
            case FilterNode f -> {
                Set<String> below = required == null ? null : new LinkedHashSet<>(required);
                if (below != null) {
                    below.addAll(f.predicate().columns());
                }
                yield new FilterNode(pushDownProjections(f.input(), below), f.predicate());
            }
            case ProjectNode p -> {
                List<Expr> kept = new ArrayList<>();
                for (Expr e : p.exprs()) {
                    if (required == null || required.contains(e.outputName())) {
                        kept.add(e);
                    }
                }
                if (kept.isEmpty()) {
                    kept.add(p.exprs().get(0));
                }
                Set<String> below = new LinkedHashSet<>();
                for (Expr e : kept) {
                    below.addAll(e.columns());
                }
                yield mergeSelection(new ProjectNode(pushDownProjections(p.input(), below), kept));
            }
            case SliceNode s -> new SliceNode(pushDownProjections(s.input(), required), s.offset(), s.length());
            case TailNode t -> new TailNode(pushDownProjections(t.input(), required), t.n());
            case SortNode s -> new SortNode(pushDownProjections(s.input(), withKeys(required, s.keys())), s.keys(), s.stable());
            case TopKNode t -> new TopKNode(pushDownProjections(t.input(), withKeys(required, t.keys())), t.keys(), t.k());
            case UnionNode u -> {
                List<String> names = new ArrayList<>();
                for (String n : u.schema().names()) {
                    if (required == null || required.contains(n)) {
                        names.add(n);
                    }
                }
                List<LogicalPlan> branches = new ArrayList<>();
                for (LogicalPlan in : u.inputs()) {
                    branches.add(selectExactly(pushDownProjections(in, required), names));
                }
                yield new UnionNode(branches);
            }
            case JoinNode j -> {
                List<Set<String>> need = joinInputNeeds(j, required);
                yield new JoinNode(pushDownProjections(j.left(), need.get(0)), pushDownProjections(j.right(), need.get(1)),
                        j.leftOn(), j.rightOn(), j.how(), j.nullsEqual(), j.buildSide());
            }
            case GroupByNode g -> {
                // Every key and aggregate input column is needed whatever the parent reads.
                Set<String> below = new LinkedHashSet<>();
                for (Expr e : g.keys()) {
                    below.addAll(e.columns());
                }
                for (Expr e : g.aggs()) {
                    below.addAll(e.columns());
                }
                yield new GroupByNode(pushDownProjections(g.input(), below), g.keys(), g.aggs());
            }
            case NestedLoopJoinNode j -> NestedLoopJoinRules.pruneColumns(j, required);
            case RangeNode r -> r;
            case InMemoryNode m -> m;
            case ExternalScanNode x -> x;
            case CacheNode c -> CachePruning.atCache(c, required);
            case AssumeSortedNode a -> new AssumeSortedNode(pushDownProjections(a.input(), withKeys(required, a.keys())), a.keys());
            case MergeJoinNode m -> SortedJoins.pushProjections(m, required);
            case AsofJoinNode a -> SortedJoins.pushProjections(a, required);
        };
    }

    /**
     * The columns each input of {@code j} must keep for {@code required} (null: all), as
     * {@code [left, right]}; key columns are always needed.
     */
    static List<Set<String>> joinInputNeeds(JoinNode j, Set<String> required) {
        Set<String> leftNeed = null;
        Set<String> rightNeed = null;
        if (required != null) {
            // Map the join's output names back to each side; key columns are always needed.
            leftNeed = new LinkedHashSet<>(j.leftOn());
            rightNeed = new LinkedHashSet<>(j.rightOn());
            List<String> out = j.schema().names();
            int leftWidth = j.left().schema().size();
            for (int i = 0; i < out.size(); i++) {
                if (!required.contains(out.get(i))) {
                    continue;
                }
                if (i < leftWidth) {
                    leftNeed.add(out.get(i));
                } else {
                    String source = rightSourceName(j, i - leftWidth);
                    rightNeed.add(source);
                    if (j.left().schema().indexOf(source) >= 0) {
                        // Keep the clashing left column so the right one keeps its _right name.
                        leftNeed.add(source);
                    }
                }
            }
        }
        return java.util.Arrays.asList(leftNeed, rightNeed);
    }

    static Set<String> withKeys(Set<String> required, List<SortKey> keys) {
        if (required == null) {
            return null;
        }
        Set<String> below = new LinkedHashSet<>(required);
        for (SortKey k : keys) {
            below.add(k.column());
        }
        return below;
    }

    /** The right-side column behind the join's {@code k}-th right output column. */
    private static String rightSourceName(JoinNode j, int k) {
        Set<String> keys = new LinkedHashSet<>(j.rightOn());
        int seen = 0;
        for (String name : j.right().schema().names()) {
            if (keys.contains(name)) {
                continue;
            }
            if (seen++ == k) {
                return name;
            }
        }
        throw new IllegalStateException("join output column " + k + " has no right source");
    }

    /**
     * A projection that only picks (and maybe renames) columns of another projection is folded
     * into it: {@code select(a, gross)} over {@code withColumns(amount * 1.2 as gross)} becomes one
     * projection. Each inner expression is then still computed once.
     */
    private static ProjectNode mergeSelection(ProjectNode outer) {
        if (!(outer.input() instanceof ProjectNode inner) || !outer.isColumnSelection()) {
            return outer;
        }
        Map<String, Expr> defs = new HashMap<>();
        for (Expr e : inner.exprs()) {
            defs.put(e.outputName(), e instanceof Expr.Alias a ? a.input() : e);
        }
        List<Expr> merged = new ArrayList<>();
        for (Expr e : outer.exprs()) {
            Expr def = defs.get(e.columns().iterator().next());
            merged.add(def.outputName().equals(e.outputName()) ? def : def.alias(e.outputName()));
        }
        return new ProjectNode(inner.input(), merged);
    }

    /** Ensures {@code plan} outputs exactly {@code names}, in that order. */
    static LogicalPlan selectExactly(LogicalPlan plan, List<String> names) {
        if (plan.schema().names().equals(names) || names.isEmpty()) {
            return plan;
        }
        List<Expr> cols = new ArrayList<>();
        for (String n : names) {
            cols.add(Expr.col(n));
        }
        return new ProjectNode(plan, cols);
    }
}
