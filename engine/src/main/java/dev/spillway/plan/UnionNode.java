package dev.spillway.plan;

import dev.spillway.errors.PlanException;

import dev.spillway.types.Schema;

import java.util.List;

/**
 * The rows of every input, input after input ({@code concat}).
 *
 * @param inputs frames with identical schemas
 */
public record UnionNode(List<LogicalPlan> inputs) implements LogicalPlan {
    /** Checks that the schemas agree. */
    public UnionNode {
        inputs = List.copyOf(inputs);
        if (inputs.isEmpty()) {
            throw new PlanException("concat needs at least one frame");
        }
        Schema first = inputs.get(0).schema();
        for (int i = 1; i < inputs.size(); i++) {
            Schema s = inputs.get(i).schema();
            if (!sameColumns(first, s)) {
                throw new PlanException("concat needs identical schemas; frame 0 has " + first.fields() + " but frame " + i
                        + " has " + s.fields());
            }
        }
    }

    /** Same names and types in the same order (nullability may differ). */
    static boolean sameColumns(Schema a, Schema b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.field(i).name().equals(b.field(i).name()) || !a.field(i).sameType(b.field(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Schema schema() {
        return inputs.get(0).schema();
    }

    @Override
    public LogicalPlan withInputs(List<LogicalPlan> newInputs) {
        return new UnionNode(newInputs);
    }

    @Override
    public String label() {
        return "UNION " + inputs.size() + " inputs";
    }
}
