package dev.spillway.cli;

import dev.spillway.tpch.TpchSchema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code spillway tpch-gen}: found as a subcommand, bad arguments named, files written. */
class TpchGenCommandTest {
    record Run(int status, String out, String err) {
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new TpchGenCommand().run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void isFoundByTheServiceLoader() {
        boolean found = false;
        for (Subcommand c : ServiceLoader.load(Subcommand.class)) {
            found |= c.name().equals("tpch-gen") && c instanceof TpchGenCommand;
        }
        assertTrue(found, "tpch-gen is not registered in META-INF/services");
    }

    @Test
    void badArgumentsAreNamed(@TempDir Path dir) {
        Run scale = run("--scale", "big", "--out", dir.toString());
        assertEquals(2, scale.status());
        assertTrue(scale.err().contains("--scale wants a number such as 0.1 or 1, got 'big'"), scale.err());
        Run negative = run("--scale=-1", "--out", dir.toString());
        assertEquals(2, negative.status());
        assertTrue(negative.err().contains("--scale must be a positive number, got '-1'"), negative.err());
        Run format = run("--format", "orc", "--out", dir.toString());
        assertEquals(2, format.status());
        assertTrue(format.err().contains("unknown format 'orc'; valid formats are parquet and csv"), format.err());
        Run out = run("--scale", "1");
        assertEquals(2, out.status());
        assertTrue(out.err().contains("--out DIR is required") && out.err().contains("usage: spillway tpch-gen"), out.err());
        Run missing = run("--out");
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("--out needs a value"), missing.err());
        Run unknown = run("--rows", "5");
        assertEquals(2, unknown.status());
        assertTrue(unknown.err().contains("unknown option '--rows'"), unknown.err());
        Run threads = run("--threads", "0", "--out", dir.toString());
        assertEquals(2, threads.status());
        assertTrue(threads.err().contains("--threads wants a whole number from 1 to 64, got '0'"), threads.err());
        Run help = run("--help");
        assertEquals(0, help.status());
        assertTrue(help.out().contains("--format FORMAT"), help.out());
    }

    @Test
    void writesEveryTable(@TempDir Path dir) {
        Run r = run("--scale", "0.001", "--out", dir.toString(), "--format", "csv");
        assertEquals(0, r.status(), r.err());
        for (String t : TpchSchema.tables()) {
            assertTrue(Files.isRegularFile(dir.resolve(t + ".csv")), t + " missing");
            assertTrue(r.out().contains(t), r.out());
        }
    }
}
