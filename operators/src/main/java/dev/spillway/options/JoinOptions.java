package dev.spillway.options;

import java.util.Objects;

/**
 * Options of an equi-join beyond its keys and type.
 *
 * @param nullsEqual whether null keys match each other (by default they never match, as in SQL)
 * @param buildSide  which input is hashed; by default the smaller one by estimate
 * @param strategy   hash or merge join; by default a merge join when both inputs are known sorted
 */
public record JoinOptions(boolean nullsEqual, BuildSide buildSide, JoinStrategy strategy) {
    /** Checks the build side and strategy are set. */
    public JoinOptions {
        Objects.requireNonNull(buildSide, "buildSide");
        Objects.requireNonNull(strategy, "strategy");
    }

    /** Options with the {@link JoinStrategy#AUTO} strategy. */
    public JoinOptions(boolean nullsEqual, BuildSide buildSide) {
        this(nullsEqual, buildSide, JoinStrategy.AUTO);
    }

    /** Null keys never match; the planner picks the build side and the strategy. */
    public static JoinOptions defaults() {
        return new JoinOptions(false, BuildSide.AUTO, JoinStrategy.AUTO);
    }

    /** These options with null keys matching each other, or not. */
    public JoinOptions withNullsEqual(boolean on) {
        return new JoinOptions(on, buildSide, strategy);
    }

    /** These options with the given build side. */
    public JoinOptions withBuildSide(BuildSide side) {
        return new JoinOptions(nullsEqual, side, strategy);
    }

    /** These options with the given strategy, e.g. {@link JoinStrategy#MERGE} to require a merge join. */
    public JoinOptions withStrategy(JoinStrategy how) {
        return new JoinOptions(nullsEqual, buildSide, how);
    }
}
