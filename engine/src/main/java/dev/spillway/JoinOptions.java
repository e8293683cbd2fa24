package dev.spillway;

import dev.spillway.operators.join.BuildSide;

import java.util.Objects;

/**
 * Options of an equi-join beyond its keys and type.
 *
 * @param nullsEqual whether null keys match each other (by default they never match, as in SQL)
 * @param buildSide  which input is hashed; by default the smaller one by estimate
 */
public record JoinOptions(boolean nullsEqual, BuildSide buildSide) {
    /** Checks the build side is set. */
    public JoinOptions {
        Objects.requireNonNull(buildSide, "buildSide");
    }

    /** Null keys never match; the planner picks the build side. */
    public static JoinOptions defaults() {
        return new JoinOptions(false, BuildSide.AUTO);
    }

    /** These options with null keys matching each other, or not. */
    public JoinOptions withNullsEqual(boolean on) {
        return new JoinOptions(on, buildSide);
    }

    /** These options with the given build side. */
    public JoinOptions withBuildSide(BuildSide side) {
        return new JoinOptions(nullsEqual, side);
    }
}
