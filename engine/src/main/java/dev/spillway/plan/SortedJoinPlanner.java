package dev.spillway.plan;

import dev.spillway.memory.MemoryManager;
import dev.spillway.operators.OperatorContext;
import dev.spillway.operators.merge.AsofJoin;
import dev.spillway.operators.merge.MergeJoin;
import dev.spillway.operators.merge.OrderedInput;
import dev.spillway.scheduler.Operator;
import dev.spillway.scheduler.Pipeline;
import dev.spillway.scheduler.Source;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Plans merge and AsOf joins for the {@link PhysicalPlanner}: each join becomes the source of the
 * pipeline that consumes its result and pulls both inputs' pipelines (source and stateless
 * operators) itself, in order; the inputs' own pipeline breakers (a sort) run before it.
 */
final class SortedJoinPlanner {
    /** A planned input: a source, the operators after it, and the pipelines it must wait for. */
    record Input(Source source, List<Operator> operators, List<Pipeline> dependencies) {
    }

    private final OperatorContext query;
    private final MemoryManager manager;
    private final Function<LogicalPlan, Input> build;
    private final int id;

    /** @param query the query's operator context; each join gets a child of it */
    SortedJoinPlanner(OperatorContext query, MemoryManager manager, Function<LogicalPlan, Input> build, int id) {
        this.id = id;
        this.query = query;
        this.manager = manager;
        this.build = build;
    }

    Input merge(MergeJoinNode m) {
        Input l = build.apply(m.left());
        Input r = build.apply(m.right());
        MergeJoin join = new MergeJoin(ordered(l), m.left().schema(), m.leftKeyIndexes(), ordered(r), m.right().schema(),
                m.rightKeyIndexes(), m.how(), m.schema(), Sortedness.origin(m.left()), Sortedness.origin(m.right()),
                query.child("merge-join-" + id));
        manager.register(join);
        return new Input(join, List.of(), deps(l, r));
    }

    Input asof(AsofJoinNode a) {
        Input l = build.apply(a.left());
        Input r = build.apply(a.right());
        AsofJoin join = new AsofJoin(ordered(l), a.left().schema(), a.left().schema().require(a.leftOn()), a.leftByIndexes(),
                ordered(r), a.right().schema(), a.right().schema().require(a.rightOn()), a.rightByIndexes(),
                a.rightColumnIndexes(), a.schema(), a.strategy(), a.tolerance(), Sortedness.origin(a.left()),
                Sortedness.origin(a.right()), query.child("asof-join-" + id));
        manager.register(join);
        return new Input(join, List.of(), deps(l, r));
    }

    private static OrderedInput ordered(Input in) {
        return new OrderedInput(in.source(), in.operators());
    }

    private static List<Pipeline> deps(Input l, Input r) {
        List<Pipeline> d = new ArrayList<>(l.dependencies());
        d.addAll(r.dependencies());
        return d;
    }

    static String label(MergeJoinNode m) {
        return "STREAMING_MERGE_JOIN " + m.how() + " left_on=" + m.leftOn() + " right_on=" + m.rightOn()
                + (m.keepsLeftOrder() ? " (inputs sorted; output sorted like the left input)" : " (inputs sorted)")
                + (m.how().leftColumnsOnly() ? "" : " [spillable runs]");
    }

    static String label(AsofJoinNode a) {
        return "STREAMING_ASOF_JOIN " + a.describe() + " (inputs sorted on '" + a.leftOn() + "'; output in left order)";
    }
}
