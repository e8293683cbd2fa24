package dev.spillway;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedding promise: a JVM whose only flag is {@code --enable-native-access} runs queries and
 * prints no warning (no sun.misc.Unsafe notice, no restricted-method notice, nothing).
 */
class EmbeddingTest {
    @Test
    void aServiceWithOnlyEnableNativeAccessSeesNoWarnings(@TempDir Path dir) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), EmbeddingMain.class.getName(), dir.toString()))
                .redirectErrorStream(false)
                .start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the embedding JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "exit code; stderr: " + err);
        assertEquals("ok\n", out);
        assertEquals("", err, "the embedding JVM printed to stderr");
    }
}
