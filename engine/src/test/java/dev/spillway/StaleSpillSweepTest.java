package dev.spillway;

import dev.spillway.memory.testing.LeakCheck;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A killed process leaves its spill directory and its sink's temporary file; the next engine on
 * the same spill root removes both at {@code build()}, because no one holds the directory's lock
 * file any more, and leaves alone the directory and temporary file of an engine that still runs
 * in another process (whose lock is held).
 */
class StaleSpillSweepTest {

    /** A child JVM running {@link StaleSpillMain} that has spilled and stopped. */
    private record Child(Process process, Path engineDir, BufferedReader out) {
        static Child start(Path root, Path outDir) throws Exception {
            String java = ProcessHandle.current().info().command().orElseThrow();
            Process p = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-cp",
                    System.getProperty("java.class.path"), StaleSpillMain.class.getName(), root.toString(), outDir.toString()))
                    .redirectErrorStream(true).start();
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder seen = new StringBuilder();
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.startsWith("spilled ")) {
                    return new Child(p, Path.of(line.substring("spilled ".length())), r);
                }
                seen.append(line).append('\n');
            }
            p.waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("the child ended without spilling:\n" + seen);
        }

        void kill() throws Exception {
            process.destroyForcibly();
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the child did not die");
            out.close();
        }
    }

    private static List<Path> tempFiles(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("\\.result\\.csv\\.\\d+\\.tmp")).toList();
        }
    }

    private static List<Path> spillFiles(Path engineDir) throws Exception {
        try (Stream<Path> s = Files.walk(engineDir)) {
            return s.filter(p -> p.toString().endsWith(".spill")).toList();
        }
    }

    @Test
    void aKilledEnginesDirectoryAndSinkTempFileAreSweptAndALiveOnesAreNot() {
        LeakCheck.assertNoLeaks(mem -> {
            Path root = mem.tempRoot().resolve("spill");
            Path outA = Files.createDirectories(mem.dataDir().resolve("a"));
            Path outB = Files.createDirectories(mem.dataDir().resolve("b"));
            Child a = Child.start(root, outA);
            Child b = null;
            try {
                b = Child.start(root, outB);
                assertTrue(a.engineDir().getFileName().toString().startsWith("spillway-" + a.process().pid() + "-"));
                for (Child c : List.of(a, b)) {
                    assertTrue(Files.exists(c.engineDir().resolve("lock")), "a lock file in " + c.engineDir());
                    assertFalse(spillFiles(c.engineDir()).isEmpty(), "spill files in " + c.engineDir());
                }
                assertEquals(1, tempFiles(outA).size(), "the sink's temporary file of A");
                assertEquals(1, tempFiles(outB).size(), "the sink's temporary file of B");
                assertTrue(Files.readString(a.engineDir().resolve("staged")).contains(tempFiles(outA).getFirst().toString()),
                        "A's journal lists its sink's temporary file");

                a.kill();
                assertTrue(Files.isDirectory(a.engineDir()), "a killed process leaves its directory");
                try (Spillway sw = Spillway.builder().memoryLimit(64L << 20).threads(1).tempDir(root).build()) {
                    assertFalse(Files.exists(a.engineDir()), "the killed engine's directory is swept at build()");
                    assertEquals(List.of(), tempFiles(outA), "the killed sink's temporary file is swept");
                    assertTrue(Files.isDirectory(b.engineDir()) && !spillFiles(b.engineDir()).isEmpty(),
                            "the live engine's directory stays");
                    assertEquals(1, tempFiles(outB).size(), "the live sink's temporary file stays");
                    assertEquals(0, sw.spills().sweepStale(), "nothing more to sweep while B lives");
                }

                b.kill();
                b = null;
            } finally {
                if (Files.isDirectory(root) && a.process().isAlive()) {
                    a.kill();
                }
                if (b != null) {
                    b.kill();
                }
            }
            try (Spillway sw = Spillway.builder().memoryLimit(64L << 20).threads(1).tempDir(root).build()) {
                assertEquals(0, sw.spills().sweepStale(), "build() swept B's leftovers already");
            }
            try (Stream<Path> left = Files.list(root)) {
                assertEquals(List.of(), left.toList(), "nothing left in the spill root");
            }
            assertEquals(List.of(), tempFiles(outB), "B's temporary file is swept too");
            Files.delete(root);
            Files.delete(outA);
            Files.delete(outB);
        });
    }
}
