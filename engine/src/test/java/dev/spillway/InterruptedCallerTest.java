package dev.spillway;

import dev.spillway.options.CsvOptions;
import dev.spillway.errors.QueryCancelledException;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An interrupt of the calling thread cancels its query wherever it lands, also before the query is
 * awaited: planning maps the CSV input, and the interrupt breaks that read with a
 * {@code ClosedByInterruptException}. The query fails with a {@link QueryCancelledException} (it
 * failed with a {@code CsvFormatException} "cannot read the file" before; the stress grid's
 * cancel fault found it), the interrupt flag stays set, nothing is left behind, and the engine
 * runs the query correctly afterwards.
 */
class InterruptedCallerTest {
    @Test
    void anInterruptBeforeTheQueryIsAwaitedCancelsIt() {
        EngineTestSupport.withEngine(16L << 20, (sw, dir) -> {
            Path in = dir.resolve("in.csv");
            List<String> lines = new ArrayList<>(List.of("k,v"));
            long sum = 0;
            for (int i = 0; i < 20_000; i++) {
                lines.add((i * 7919 % 1000) + "," + i);
                sum += i;
            }
            Files.write(in, lines);
            Path out = dir.resolve("out.csv");
            for (boolean collect : new boolean[] {true, false}) {
                LazyFrame q = sw.scanCsv(in, CsvOptions.defaults()).sort("k", "v");
                Thread.currentThread().interrupt();
                QueryCancelledException e;
                try {
                    e = assertThrows(QueryCancelledException.class, () -> {
                        if (collect) {
                            q.collect().close();
                        } else {
                            q.sinkCsv(out);
                        }
                    }, collect ? "collect" : "sinkCsv");
                    assertTrue(Thread.currentThread().isInterrupted(), "the interrupt flag stays set");
                } finally {
                    Thread.interrupted();
                }
                assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
                assertEquals(0, sw.budget().reserved(), "nothing reserved after the cancellation");
                assertEquals(0, sw.pool().outstandingBuffers(), "no buffer outstanding");
                assertFalse(Files.exists(out), "no output file");
                try (DataFrame df = q.select(Expr.col("v").sum().alias("s")).collect()) {
                    assertEquals(sum, df.getLong(0, "s"), "the engine runs the query after the cancellation");
                }
            }
        });
    }
}
