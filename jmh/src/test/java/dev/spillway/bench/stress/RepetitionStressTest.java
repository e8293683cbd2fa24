package dev.spillway.bench.stress;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The repetition stress in CI: every query kind a few hundred times on one engine per thread
 * count, each result checked exactly and the memory checked back at its baseline after each
 * (about 20 s per thread count here). {@code -Dspillway.stress.rounds=N} changes the count;
 * {@code perf-scripts/stress.sh} runs the long version.
 */
class RepetitionStressTest {
    private static final long ROUNDS = Long.getLong("spillway.stress.rounds", 300);
    private static final int CLIENTS = Integer.getInteger("spillway.stress.clients", 1);
    private static final int NOISE = Integer.getInteger("spillway.stress.noise", 4);

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 2, 4})
    void everyResultIsExactAndNothingLeaks(int threads, @TempDir Path work) {
        RepetitionStress.Report r = RepetitionStress.run(threads, CLIENTS, NOISE, ROUNDS, List.of(), work, null);
        assertEquals(List.of(), r.failures().stream().limit(10).map(RepetitionStress.Failure::toString).toList(),
                r.failures().size() + " of " + r.queries() + " queries failed; the first ones");
        assertEquals(RepetitionStress.queryNames(), List.copyOf(r.runs().keySet()), "every query kind ran");
        assertTrue(r.runs().values().stream().allMatch(n -> n == ROUNDS), "each query ran every round: " + r.runs());
    }
}
