package dev.spillway.plan;

import dev.spillway.Expr;
import dev.spillway.event.EventSink;
import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.MemoryManager;
import dev.spillway.types.Schema;
import dev.spillway.operators.ChainSource;
import dev.spillway.operators.ConcatSource;
import dev.spillway.operators.EarlyStopSource;
import dev.spillway.operators.FilterOperator;
import dev.spillway.operators.MorselSource;
import dev.spillway.operators.OperatorContext;
import dev.spillway.operators.ProjectOperator;
import dev.spillway.operators.RangeSource;
import dev.spillway.operators.SliceSink;
import dev.spillway.operators.TailSink;
import dev.spillway.operators.csv.CsvScan;
import dev.spillway.operators.eval.EvalContext;
import dev.spillway.operators.eval.PhysicalExpr;
import dev.spillway.operators.eval.PhysicalExprs;
import dev.spillway.operators.groupby.AggLayout;
import dev.spillway.operators.groupby.GroupBySink;
import dev.spillway.operators.groupby.GroupBySource;
import dev.spillway.operators.groupby.HashAggregation;
import dev.spillway.options.BuildSide;
import dev.spillway.operators.join.HashJoin;
import dev.spillway.operators.join.JoinBuildSink;
import dev.spillway.operators.join.JoinProbeSource;
import dev.spillway.operators.join.NestedLoopBuildSink;
import dev.spillway.operators.join.NestedLoopJoin;
import dev.spillway.operators.join.NestedLoopProbeSource;
import dev.spillway.operators.mux.Multiplexer;
import dev.spillway.operators.sort.ExternalSort;
import dev.spillway.operators.sort.SortSink;
import dev.spillway.operators.sort.SortedSource;
import dev.spillway.operators.sort.TopK;
import dev.spillway.operators.sort.TopKSink;
import dev.spillway.scheduler.Operator;
import dev.spillway.scheduler.Pipeline;
import dev.spillway.scheduler.QueryPlan;
import dev.spillway.scheduler.Sink;
import dev.spillway.scheduler.Source;
import dev.spillway.spill.SpillDirectory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns an optimised logical plan into pipelines for the scheduler, and describes the physical
 * plan for {@code explain()}.
 *
 * <p>Scans, filters and projections chain into one pipeline. A slice ({@code head}, {@code limit},
 * {@code slice}) is order-sensitive and ends its pipeline in a {@link SliceSink}; the source of
 * that pipeline stops as soon as the slice has its rows, and a new pipeline reads the kept rows.
 * A union concatenates its inputs' pipelines into one source. A cache read in several places
 * ends its input's pipeline in a {@link Multiplexer}; each reader's pipeline starts from its own
 * consumer source and runs at the same time as the producer.
 */
public final class PhysicalPlanner {
    private final BlockPool pool;
    private final MemoryBudget budget;
    private final MemoryManager manager;
    private final SpillDirectory spills;
    private final OperatorContext query;
    private final EventSink log;
    private final EvalContext eval;
    private final int morselRows;
    private final int maxInFlight;
    private final List<Pipeline> pipelines = new ArrayList<>();
    private final int workers;
    private int sortFanIn = ExternalSort.DEFAULT_FAN_IN;
    private boolean forceRepartition;
    private Map<Long, Integer> cacheReaders = Map.of();
    private final Map<Long, Multiplexer> multiplexers = new HashMap<>();
    private final Map<Long, Integer> consumersPlanned = new HashMap<>();

    /**
     * A planner for one query.
     *
     * @param query   the query's operator context: its budget is the query's (each operator gets a
     *                {@link OperatorContext#child child} of it), with the query's spill directory, event
     *                sink, rows per morsel and forced-spill fraction
     * @param manager the query's memory manager, with which spillable operators register
     * @param workers worker threads that run the query
     */
    public PhysicalPlanner(OperatorContext query, MemoryManager manager, int workers) {
        this.query = query;
        this.pool = query.pool();
        this.budget = query.budget();
        this.manager = manager;
        this.spills = query.spills();
        this.log = query.events();
        this.eval = new EvalContext(pool, budget);
        this.morselRows = query.outputRows();
        this.maxInFlight = Math.max(2, 2 * workers);
        this.workers = workers;
    }

    /**
     * Most sorted runs a sort merges at once, and so most spill readers it holds open (default
     * {@value ExternalSort#DEFAULT_FAN_IN}); more spilled runs merge in several passes.
     *
     * @return this planner
     */
    public PhysicalPlanner sortFanIn(int fanIn) {
        if (fanIn < 2) {
            throw new IllegalArgumentException("sort fan-in must be at least 2, got " + fanIn);
        }
        this.sortFanIn = fanIn;
        return this;
    }

    /**
     * Whether hash joins also re-partition their spilled partitions a few levels deep whatever
     * their size (default false): with an engine forcing every spill, tests reach the recursive
     * path on small inputs.
     *
     * @return this planner
     */
    public PhysicalPlanner forceRepartition(boolean on) {
        this.forceRepartition = on;
        return this;
    }

    /** An open pipeline: a source, operators after it, and the pipelines it must wait for. */
    private record Chain(Source source, List<Operator> operators, List<Pipeline> dependencies) {
        Chain with(Operator op) {
            List<Operator> ops = new ArrayList<>(operators);
            ops.add(op);
            return new Chain(source, ops, dependencies);
        }
    }

    /** Plans {@code root} into pipelines that end in {@code sink}. */
    public QueryPlan plan(LogicalPlan root, Sink<?> sink, String queryName) {
        return plan(List.of(root), List.of(sink), queryName);
    }

    /**
     * Plans several roots into one query, root {@code i} ending in {@code sinks.get(i)}; a cache
     * that occurs in several of them is computed once for all.
     */
    public QueryPlan plan(List<LogicalPlan> roots, List<? extends Sink<?>> sinks, String queryName) {
        if (roots.size() != sinks.size()) {
            throw new IllegalArgumentException(roots.size() + " plans but " + sinks.size() + " sinks");
        }
        cacheReaders = MultiplexerPlanning.readers(roots);
        for (int i = 0; i < roots.size(); i++) {
            close(build(roots.get(i)), sinks.get(i), roots.size() == 1 ? "result" : "result " + i);
        }
        return new QueryPlan(queryName, pipelines);
    }

    private Pipeline close(Chain c, Sink<?> sink, String what) {
        Pipeline p = new Pipeline("p" + pipelines.size() + " " + what, c.source(), c.operators(), sink, maxInFlight);
        for (Pipeline d : c.dependencies()) {
            p.dependsOn(d);
        }
        pipelines.add(p);
        return p;
    }

    private Chain build(LogicalPlan node) {
        return switch (node) {
            case CsvScanNode s -> new Chain(new CsvScan(s.files(), s.options(), s.fileSchema(), s.projectionIndexes(), pool,
                    budget).targetSplitRows(morselRows).source(), List.of(), List.of());
            case FormatScanNode s -> new Chain(s.source(pool, budget, log, morselRows, workers), List.of(), List.of());
            case RangeNode r -> new Chain(new RangeSource(r.column(), r.start(), r.end(), morselRows, pool, budget), List.of(),
                    List.of());
            case InMemoryNode m -> new Chain(new MorselSource("in-memory frame", m.morsels(), morselRows), List.of(), List.of());
            case ExternalScanNode x -> new Chain(x.scan().open(pool, budget, morselRows), List.of(), List.of());
            case FilterNode f -> build(f.input()).with(new FilterOperator(ExprCompiler.compile(f.predicate(),
                    f.input().schema()), eval));
            case ProjectNode p -> {
                Schema in = p.input().schema();
                List<PhysicalExpr> exprs = new ArrayList<>();
                for (Expr e : p.exprs()) {
                    exprs.add(ExprCompiler.compile(e, in));
                }
                yield build(p.input()).with(new ProjectOperator(exprs, p.schema(), eval));
            }
            case SliceNode s -> {
                Chain in = build(s.input());
                SliceSink slice = new SliceSink(s.offset(), s.length());
                Chain stopping = new Chain(new EarlyStopSource(in.source(), slice::isSatisfied), in.operators(),
                        in.dependencies());
                Pipeline p = close(stopping, slice, "slice");
                yield new Chain(slice.output(), List.of(), List.of(p));
            }
            case JoinNode j -> {
                // The operator probes with its first input and hashes its second.
                boolean swap = j.buildsLeft();
                LogicalPlan buildPlan = swap ? j.left() : j.right();
                LogicalPlan probePlan = swap ? j.right() : j.left();
                int[] buildKeys = swap ? j.leftKeyIndexes() : j.rightKeyIndexes();
                int[] probeKeys = swap ? j.rightKeyIndexes() : j.leftKeyIndexes();
                Chain buildChain = build(buildPlan);
                HashJoin join = new HashJoin(probePlan.schema(), buildPlan.schema(), probeKeys, buildKeys,
                        swap ? j.how().flipped() : j.how(), j.nullsEqual(), query.child("equi-join-" + pipelines.size()));
                if (forceRepartition) {
                    join.forceRepartition(8);
                }
                manager.register(join);
                Pipeline buildSide = close(buildChain, new JoinBuildSink(join), "join build");
                Chain probe = build(probePlan);
                Source probeInput = probe.operators().isEmpty() ? probe.source() : new ChainSource(probe.source(), probe.operators());
                List<Pipeline> deps = new ArrayList<>(probe.dependencies());
                deps.add(buildSide);
                List<Operator> after = swap ? List.of(new ProjectOperator(swappedColumns(j, join.outputSchema()), j.schema(), eval))
                        : List.of();
                yield new Chain(new JoinProbeSource(probeInput, join, workers), after, deps);
            }
            case NestedLoopJoinNode j -> {
                boolean buildsLeft = j.buildsLeft();
                Chain buildChain = build(buildsLeft ? j.left() : j.right());
                NestedLoopJoin join = j.newOperator(buildsLeft, query.child("nested-loop-join-" + pipelines.size()));
                manager.register(join.store());
                Pipeline buildSide = close(buildChain, new NestedLoopBuildSink(join), "nested-loop build");
                Chain probe = build(buildsLeft ? j.right() : j.left());
                Source probeInput = probe.operators().isEmpty() ? probe.source() : new ChainSource(probe.source(), probe.operators());
                List<Pipeline> deps = new ArrayList<>(probe.dependencies());
                deps.add(buildSide);
                yield new Chain(new NestedLoopProbeSource(probeInput, join, workers), List.of(), deps);
            }
            case GroupByNode g -> {
                Chain in = build(g.input());
                Schema inSchema = g.input().schema();
                AggLayout layout = g.layout();
                List<PhysicalExpr> exprs = new ArrayList<>();
                for (Expr e : g.inputExprs()) {
                    exprs.add(ExprCompiler.compile(e, inSchema));
                }
                Chain projected = in.with(new ProjectOperator(exprs, layout.inputSchema(), eval));
                HashAggregation agg = new HashAggregation(layout, query.child("group-by-" + pipelines.size()), workers);
                manager.register(agg);
                Pipeline consume = close(projected, new GroupBySink(agg), "group-by");
                yield new Chain(new GroupBySource(agg), List.of(), List.of(consume));
            }
            case SortNode s -> {
                Chain in = build(s.input());
                ExternalSort sort = new ExternalSort(s.spec(), query.child("sort-" + pipelines.size()), workers, sortFanIn);
                manager.register(sort);
                Pipeline runs = close(in, new SortSink(sort), "sort");
                yield new Chain(SortedSource.of(sort), List.of(), List.of(runs));
            }
            case TopKNode t -> {
                Chain in = build(t.input());
                TopK topK = new TopK(t.spec(), t.k(), pool, budget.child("top-k-" + pipelines.size()), budget,
                        morselRows);
                Pipeline p = close(in, new TopKSink(topK), "top-k");
                yield new Chain(SortedSource.of(topK), List.of(), List.of(p));
            }
            case TailNode t -> {
                Chain in = build(t.input());
                TailSink tail = new TailSink(t.n());
                Pipeline p = close(in, tail, "tail");
                yield new Chain(tail.output(), List.of(), List.of(p));
            }
            case AssumeSortedNode a -> build(a.input());
            case MergeJoinNode m -> chain(sortedJoins().merge(m));
            case AsofJoinNode a -> chain(sortedJoins().asof(a));
            case UnionNode u -> {
                List<Source> sources = new ArrayList<>();
                List<Pipeline> deps = new ArrayList<>();
                for (LogicalPlan in : u.inputs()) {
                    Chain c = build(in);
                    sources.add(c.operators().isEmpty() ? c.source() : new ChainSource(c.source(), c.operators()));
                    deps.addAll(c.dependencies());
                }
                yield new Chain(new ConcatSource(sources), List.of(), deps);
            }
            case CacheNode c -> cache(c);
        };
    }

    private SortedJoinPlanner sortedJoins() {
        return new SortedJoinPlanner(query, manager, this::buildInput, pipelines.size());
    }

    private static Chain chain(SortedJoinPlanner.Input in) {
        return new Chain(in.source(), in.operators(), in.dependencies());
    }

    /** An input of a merge or AsOf join: its pipeline's source and operators, and what it waits for. */
    private SortedJoinPlanner.Input buildInput(LogicalPlan node) {
        Chain c = build(node);
        return new SortedJoinPlanner.Input(c.source(), c.operators(), c.dependencies());
    }

    /**
     * Plans run together by {@code sinkAll}: every subplan object that several of them share
     * (frames derived from one frame) is wrapped in a cache, so it is computed once for all.
     */
    public static List<LogicalPlan> cacheShared(List<LogicalPlan> roots) {
        return MultiplexerPlanning.cacheShared(roots);
    }

    /** A reader of a cache: the input itself when it is read once, else one consumer of its multiplexer. */
    private Chain cache(CacheNode c) {
        int readers = cacheReaders.getOrDefault(c.id(), 1);
        if (readers < 2) {
            return build(c.input());
        }
        Multiplexer mux = multiplexers.get(c.id());
        if (mux == null) {
            Chain in = build(c.input());
            mux = new Multiplexer("multiplexer-" + pipelines.size(), c.schema(), readers, query,
                    MultiplexerPlanning.backlogBytes(budget));
            manager.register(mux);
            multiplexers.put(c.id(), mux);
            // Once every reader has stopped early (each a satisfied head), the producer stops too.
            Chain producer = new Chain(new EarlyStopSource(in.source(), mux::allDetached), in.operators(), in.dependencies());
            close(producer, mux.sink(), "multiplexer");
        }
        int consumer = consumersPlanned.merge(c.id(), 1, Integer::sum) - 1;
        return new Chain(mux.source(consumer), List.of(), List.of());
    }

    /**
     * With the left input hashed, the operator's rows are the right columns then the left non-key
     * columns; this puts them back in the join's order: every left column (a key from the right
     * key it equals, which also holds the left key for unmatched left rows), then the right
     * non-key columns.
     */
    private static List<PhysicalExpr> swappedColumns(JoinNode j, Schema operatorOutput) {
        Schema left = j.left().schema();
        Schema right = j.right().schema();
        int[] leftKeys = j.leftKeyIndexes();
        int[] rightKeys = j.rightKeyIndexes();
        Set<Integer> rightKeySet = new HashSet<>();
        for (int k : rightKeys) {
            rightKeySet.add(k);
        }
        int[] fromOperator = new int[left.size()];
        int nonKey = right.size();
        for (int c = 0; c < left.size(); c++) {
            int key = -1;
            for (int k = 0; k < leftKeys.length && key < 0; k++) {
                key = leftKeys[k] == c ? rightKeys[k] : -1;
            }
            fromOperator[c] = key >= 0 ? key : nonKey++;
        }
        Schema out = j.schema();
        List<PhysicalExpr> exprs = new ArrayList<>();
        for (int c = 0; c < left.size(); c++) {
            exprs.add(PhysicalExprs.column(fromOperator[c], out.field(c)));
        }
        int o = left.size();
        for (int c = 0; c < right.size(); c++) {
            if (!rightKeySet.contains(c)) {
                exprs.add(PhysicalExprs.column(c, out.field(o)));
                o++;
            }
        }
        if (operatorOutput.size() != left.size() + right.size() - rightKeySet.size()) {
            throw new IllegalStateException("swapped join output has " + operatorOutput.size() + " columns, expected "
                    + out.size());
        }
        return exprs;
    }

    // ------------------------------------------------------------------ explain

    /**
     * The physical plan as an indented tree, one labelled node per line, e.g.
     * {@code STREAMING_FILTER (col("amount") > 100.0)}. Nodes that can spill say so; nodes
     * without a streaming implementation would be labelled {@code IN_MEMORY}.
     *
     * @param sinkLabel the label of the final sink, e.g. {@code STREAMING_COLLECT}
     */
    public static String explain(LogicalPlan root, String sinkLabel) {
        return explain(List.of(root), List.of(sinkLabel));
    }

    /**
     * Several roots run as one query, each under its own sink label. A cache read in several
     * places is shown as {@code STREAMING_MULTIPLEXER} with its number of consumers; its input is
     * printed under its first occurrence only.
     */
    public static String explain(List<LogicalPlan> roots, List<String> sinkLabels) {
        MultiplexerPlanning.Explain ctx = new MultiplexerPlanning.Explain(MultiplexerPlanning.readers(roots));
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < roots.size(); i++) {
            int pipelines = 1 + countBreakers(roots.get(i), ctx);
            sb.append(sinkLabels.get(i)).append("  [").append(pipelines).append(pipelines == 1 ? " pipeline" : " pipelines")
                    .append("]\n");
        }
        ctx.shown().clear();
        for (LogicalPlan root : roots) {
            explain(root, 1, sb, ctx);
        }
        return sb.toString();
    }

    private static int countBreakers(LogicalPlan node, MultiplexerPlanning.Explain ctx) {
        if (node instanceof CacheNode c && ctx.fannedOut(c) && !ctx.shown().add(c.id())) {
            return 0;
        }
        int n = node instanceof SliceNode || node instanceof JoinNode || node instanceof GroupByNode || node instanceof SortNode
                || node instanceof TopKNode || node instanceof TailNode || node instanceof NestedLoopJoinNode ? 1 : 0;
        n += node instanceof CacheNode c && ctx.fannedOut(c) ? 1 : 0;
        for (LogicalPlan in : node.inputs()) {
            n += countBreakers(in, ctx);
        }
        return n;
    }

    private static void explain(LogicalPlan node, int depth, StringBuilder sb, MultiplexerPlanning.Explain ctx) {
        if (node instanceof CacheNode c) {
            if (!ctx.fannedOut(c)) {
                explain(c.input(), depth, sb, ctx);
                return;
            }
            boolean first = ctx.shown().add(c.id());
            sb.append("  ".repeat(depth)).append(ctx.label(c)).append(first ? "" : " (shared: input shown above)")
                    .append('\n');
            if (first) {
                explain(c.input(), depth + 1, sb, ctx);
            }
            return;
        }
        sb.append("  ".repeat(depth)).append(label(node)).append('\n');
        for (LogicalPlan in : node.inputs()) {
            explain(in, depth + 1, sb, ctx);
        }
    }

    private static String label(LogicalPlan node) {
        return switch (node) {
            case CsvScanNode s -> "STREAMING_SCAN_CSV " + (s.files().size() == 1 ? s.files().get(0).getFileName()
                    : s.files().size() + " files") + " columns=[" + String.join(", ", s.schema().names()) + "]";
            case FormatScanNode s -> s.explainLabel();
            case RangeNode r -> "STREAMING_SCAN_RANGE " + r.column() + " [" + r.start() + ", " + r.end() + ")";
            case InMemoryNode m -> "STREAMING_SCAN_MEMORY " + m.rowCount() + " rows";
            case ExternalScanNode x -> "STREAMING_SCAN_EXTERNAL " + x.scan().label();
            case FilterNode f -> "STREAMING_FILTER " + f.predicate();
            case ProjectNode p -> {
                List<String> cols = new ArrayList<>();
                for (Expr e : p.exprs()) {
                    Expr inner = e instanceof Expr.Alias a ? a.input() : e;
                    boolean plain = inner instanceof Expr.Column c && c.name().equals(e.outputName());
                    cols.add(plain ? inner.toString() : inner + " as " + e.outputName());
                }
                yield "STREAMING_SELECT [" + String.join(", ", cols) + "]";
            }
            case SliceNode s -> "STREAMING_SLICE offset=" + s.offset() + " length=" + s.length()
                    + " (ordered; stops its source early)";
            case UnionNode u -> "STREAMING_UNION " + u.inputs().size() + " inputs (in order)";
            case GroupByNode g -> "STREAMING_GROUP_BY " + g.describe() + " [spillable]";
            case SortNode s -> "STREAMING_SORT by=" + s.keys() + (s.stable() ? " stable" : "")
                    + " (external merge sort) [spillable]";
            case TopKNode t -> "STREAMING_TOP_K k=" + t.k() + " by=" + t.keys() + " (bounded memory)";
            case TailNode t -> "STREAMING_TAIL n=" + t.n() + " (ordered)";
            case NestedLoopJoinNode j -> j.explainLabel();
            case AssumeSortedNode a -> "STREAMING_ASSUME_SORTED by=" + a.keys() + " (declared; checked while merging)";
            case MergeJoinNode m -> SortedJoinPlanner.label(m);
            case AsofJoinNode a -> SortedJoinPlanner.label(a);
            case JoinNode j -> "STREAMING_EQUI_JOIN " + j.how() + " left_on=" + j.leftOn() + " right_on=" + j.rightOn()
                    + (j.nullsEqual() ? " nulls_equal" : "") + " build=" + (j.buildsLeft() ? "left" : "right")
                    + (j.buildSide() == BuildSide.AUTO ? " (smaller by estimate)" : " (as asked)") + " [spillable]";
            case CacheNode c -> "CACHE (read once)";
        };
    }
}
