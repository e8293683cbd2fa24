package dev.spillway.jcstress;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs every jcstress test of this module in a child JVM (jcstress forks its own VMs from it) with
 * the options in {@code spillway.jcstress.options} and fails unless every test passed: no
 * forbidden outcome, no error, no test that could not run. The full report is written to
 * {@code target/jcstress-results}; the console output to {@code jcstress-output.txt} beside it.
 *
 * <p>The CI options (set in this module's pom) give each test one VM of 20 iterations of 500 ms,
 * about 100 s in all; on the code before the fix of the double-started pipeline and of the probe
 * phase's end, the same options found both forbidden outcomes within a minute. Longer runs:
 * {@code -Dspillway.jcstress.options="-m tough"}.
 */
class JcstressSuiteTest {
    private static final String[] TESTS = {
        "MorselSourceLastSlices", "TransientEndVsRealEnd", "ProbeEndVsProbe", "DependantStartVsFinish", "CompletionVsLateMorsel",
    };
    private static final Pattern PLANNED = Pattern.compile("Results: (\\d+) planned; (\\d+) passed, (\\d+) failed, "
            + "(\\d+) soft errs, (\\d+) hard errs");

    @Test
    void everyProtocolTestPasses() throws IOException, InterruptedException {
        String options = System.getProperty("spillway.jcstress.options", "-m quick -sc false -iters 20 -time 500");
        Path results = Path.of(System.getProperty("spillway.jcstress.results", "target/jcstress-results")).toAbsolutePath();
        Files.createDirectories(results);
        Path output = results.resolve("jcstress-output.txt");
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath,
                "org.openjdk.jcstress.Main",
                "-t", "dev\\.spillway\\.jcstress\\.(" + String.join("|", TESTS) + ")",
                "-r", results.toString(),
                "-jvmArgs", "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(List.of(options.trim().split("\\s+")));
        // jcstress drops its result blob in the working directory: keep it with the report.
        Process p = new ProcessBuilder(cmd).directory(results.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("jcstress did not finish within 10 minutes; output in " + output);
        }
        String out = Files.readString(output, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "jcstress exit status; output in " + output + "\n" + tail(out));
        // The progress line is printed repeatedly; the last one has the final counts.
        int planned = -1;
        int passed = -1;
        for (Matcher m = PLANNED.matcher(out); m.find(); ) {
            planned = Integer.parseInt(m.group(1));
            passed = Integer.parseInt(m.group(2));
        }
        assertTrue(planned >= 0, "no jcstress result line; output in " + output + "\n" + tail(out));
        assertTrue(planned > 0, "jcstress planned no run:\n" + tail(out));
        assertEquals(planned, passed, "jcstress runs that did not pass (forbidden outcomes or errors); report in " + results
                + File.separator + "index.html\n" + tail(out));
        String report = Files.readString(results.resolve("index.html"));
        for (String t : TESTS) {
            assertTrue(report.contains(t), "test " + t + " ran");
        }
    }

    private static String tail(String out) {
        int from = out.indexOf("RUN RESULTS:");
        return from >= 0 ? out.substring(from) : out.substring(Math.max(0, out.length() - 6000));
    }
}
