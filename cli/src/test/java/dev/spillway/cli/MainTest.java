package dev.spillway.cli;

import dev.spillway.memory.testing.LeakCheck;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo command at a small scale and its errors for bad options. */
class MainTest {
    private record Run(int status, String out, String err) {
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), false);
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void demoSpillsUnderItsCapAndItsChecksumMatchesAnIndependentOne() {
        LeakCheck.assertNoLeaks(mem -> {
            Path report = mem.dataDir().resolve("demo.html");
            Run r = run("demo", "--build-rows", "20000", "--probe-rows=100000", "--memory-limit", "8m", "--threads", "2",
                    "--temp-dir", mem.tempRoot().resolve("s").toString(), "--verbose", "--report", report.toString());
            assertEquals(0, r.status(), r.out() + r.err());
            // Independent checksum: plain loops over the generated rows.
            double sum = 0;
            long[] perKey = new long[20_000];
            for (long i = 0; i < 100_000; i++) {
                sum += i;
                perKey[(int) (i % 20_000)]++;
            }
            long groups = java.util.Arrays.stream(perKey).filter(c -> c > 0).count();
            assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "sum(sum_amount) = %.0f (expected", sum)), r.out());
            assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "result rows    %,d (expected", groups)), r.out());
            assertTrue(r.out().contains("payload bytes = 6,400,000 (expected"), r.out());
            assertTrue(r.out().contains("result         OK"), r.out());
            assertTrue(r.out().contains("STREAMING_EQUI_JOIN"), r.out());
            assertTrue(r.out().contains(": evicting partition="), r.out());
            assertTrue(r.out().contains("[spillway] memory-manager: reclaim query="), r.out());
            assertTrue(r.out().contains("peak memory"), r.out());
            assertTrue(Files.readString(report).contains("<svg"));
            Files.delete(mem.tempRoot().resolve("s"));
        });
    }

    @Test
    void badOptionsGiveASpecificErrorAndTheUsage() {
        Run unknown = run("demo", "--bogus");
        assertEquals(2, unknown.status());
        assertTrue(unknown.err().contains("unknown option '--bogus'") && unknown.err().contains("usage: spillway demo"),
                unknown.err());
        Run number = run("demo", "--build-rows", "lots");
        assertEquals(2, number.status());
        assertTrue(number.err().contains("--build-rows wants a whole number, got 'lots'"), number.err());
        Run missing = run("demo", "--memory-limit");
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("--memory-limit needs a value"), missing.err());
        Run size = run("demo", "--memory-limit", "huge");
        assertEquals(2, size.status());
        assertTrue(size.err().contains("--memory-limit wants a size"), size.err());
        Run command = run("launch");
        assertEquals(2, command.status());
        assertTrue(command.err().contains("unknown command 'launch'"), command.err());
        Run help = run("demo", "--help");
        assertEquals(0, help.status());
        assertTrue(help.out().contains("--probe-rows N"), help.out());
    }
}
