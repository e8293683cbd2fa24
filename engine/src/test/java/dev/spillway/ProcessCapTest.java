package dev.spillway;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The cap is a promise about the process: a child JVM with a 64 MiB heap ({@code -Xms} = {@code
 * -Xmx}, pre-touched, so the heap is part of the baseline) and a 64 MiB cap runs a join, a group-by
 * and a sort that all spill ({@link ProcessCapMain}); its peak resident set ({@code VmHWM}) must stay
 * under the cap plus its own baseline plus {@link #MARGIN}, and the budget and the pool must end
 * with nothing reserved, nothing outstanding and nothing retained.
 *
 * <p>The margin covers what grows outside the cap after the baseline: compiled code and class
 * metadata of the code paths the big queries reach first, thread stacks of the spill and sampler
 * threads, pool pieces below a page (never given back), and file pages of the spill files and CSV
 * outputs between writes and their release, and the C heap of the JIT compilers (C2 compiling the
 * big queries' hot loops). Measured on a 2-core machine: baseline 133 MiB, peak 239 MiB, so 42 MiB
 * above baseline + cap.
 */
class ProcessCapTest {
    private static final long CAP = 64L << 20;
    private static final long MARGIN = 64L << 20;

    @Test
    void peakRssStaysWithinCapPlusBaselineAndEverythingIsReturned(@TempDir Path dir) throws Exception {
        assumeTrue(ProcessMemory.read().hwmBytes() > 0, "needs /proc/self/status");
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xms64m", "-Xmx64m",
                "-XX:+AlwaysPreTouch", "-cp", System.getProperty("java.class.path"), ProcessCapMain.class.getName(),
                dir.toString()))
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the child JVM did not finish");
        assertEquals(0, p.exitValue(), "child failed:\n" + out);
        String last = out.strip().lines().reduce((a, b) -> b).orElse("");
        System.out.println("ProcessCapTest child: " + last);
        Map<String, String> f = new HashMap<>();
        for (String kv : last.split(" ")) {
            int eq = kv.indexOf('=');
            assertTrue(eq > 0, "unexpected child output:\n" + out);
            f.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        for (String s : f.get("spilled").split(",")) {
            assertTrue(Long.parseLong(s) > 0, "every query must spill: " + last);
        }
        assertEquals("0", f.get("reserved"), last);
        assertEquals("0", f.get("outstanding"), last);
        long baseline = Long.parseLong(f.get("baseline"));
        long hwm = Long.parseLong(f.get("hwm"));
        long retained = Long.parseLong(f.get("retained"));
        assertTrue(retained <= CAP / 8, "the pool keeps at most half its reserve between queries: " + last);
        assertTrue(hwm <= baseline + CAP + MARGIN, String.format(
                "peak RSS %.1f MiB above baseline %.1f MiB + cap %d MiB + margin %d MiB: %s", hwm / 1048576.0,
                baseline / 1048576.0, CAP >> 20, MARGIN >> 20, last));
        try (Stream<Path> left = Files.walk(dir)) {
            assertEquals(List.of(), left.filter(Files::isRegularFile).toList(), "files left behind");
        }
    }
}
