package dev.spillway.cli;

import dev.spillway.Spillway;
import dev.spillway.memory.testing.LeakCheck;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code spillway sql}: statements from a stream, results printed, views kept, errors reported and skipped. */
class SqlCommandTest {
    private record Run(int status, String out, String err) {
    }

    private static Run run(Spillway sw, String input) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = SqlCommand.run(sw, new StringReader(input), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A test body given an engine and a scratch directory for data files. */
    @FunctionalInterface
    private interface Body {
        void run(Spillway sw, Path dataDir) throws Exception;
    }

    /** Runs {@code body} on a 2-thread, 256 MiB engine spilling under the leak check's root; fails on leaks. */
    private static void withEngine(Body body) {
        LeakCheck.assertNoLeaks(mem -> {
            try (Spillway sw = Spillway.builder().memoryLimit(256L << 20).threads(2).tempDir(mem.tempRoot())
                    .build()) {
                body.run(sw, mem.dataDir());
            }
        });
    }

    @Test
    void runsStatementsOverFilesAndViews() {
        withEngine((sw, dir) -> {
            Path csv = dir.resolve("fruit.csv");
            Files.writeString(csv, "name,qty\napple,3\npear,5\nplum,7\n");
            String input = "create view big as\n  select name, qty from read_csv('" + csv + "') where qty > 4;\n"
                    + ".timer on\n"
                    + "select name, qty * 2 as twice -- a comment; with a semicolon\n  from big order by name;\n"
                    + "select 'a;b' as s;\n";
            Run r = run(sw, input);
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().contains("OK"), r.out());
            assertTrue(r.out().contains("pear") && r.out().contains("plum") && !r.out().contains("apple"), r.out());
            assertTrue(r.out().contains("10") && r.out().contains("14"), r.out());
            assertTrue(r.out().contains("a;b"), "a semicolon inside quotes does not end the statement: " + r.out());
            assertTrue(r.out().contains("Run Time:"), r.out());
        });
    }

    @Test
    void reportsAnErrorAndGoesOn() {
        withEngine((sw, dir) -> {
            Run r = run(sw, "select nope from read_csv('" + dir.resolve("missing.csv") + "');\nselect 1 + 1 as two;\n");
            assertEquals(1, r.status());
            assertTrue(r.err().startsWith("Error: "), r.err());
            assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
            assertTrue(r.out().contains("two") && r.out().contains("2"), r.out());
        });
    }

    @Test
    void theCommandIsFoundAsAService() {
        boolean found = false;
        for (Subcommand c : ServiceLoader.load(Subcommand.class)) {
            found |= c.name().equals("sql");
        }
        assertTrue(found, "sql is registered in META-INF/services");
    }
}
