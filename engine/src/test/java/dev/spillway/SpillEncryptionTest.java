package dev.spillway;

import dev.spillway.options.JoinType;
import dev.spillway.spill.SpillListener;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code spillEncryption}: a join, group-by and sort forced to disk write a marker string that is
 * found in the raw spill files without encryption and in none with it, and give the same result.
 */
class SpillEncryptionTest {
    private static final String MARKER = "Zq7-SPILL-MARKER-name-and-address";

    /** Runs the query with every block's file read as it is written; returns the result and how many blocks held the marker. */
    private static List<List<Object>> run(boolean encrypt, AtomicInteger blocks, AtomicInteger withMarker) {
        List<List<Object>> rows = new ArrayList<>();
        byte[] marker = MARKER.getBytes(StandardCharsets.UTF_8);
        EngineTestSupport.withEngine(32L << 20, b -> b.morselRows(4096).forceSpill(1.0).spillEncryption(encrypt), (sw, dir) -> {
            assertEquals(encrypt, sw.config().spillEncryption());
            assertEquals(encrypt, sw.spills().encrypts());
            sw.spills().addListener(new SpillListener() {
                @Override
                public void blockWritten(Path file, int partition, int n, long raw, long stored, long nanos) {
                    blocks.incrementAndGet();
                    if (indexOf(read(file), marker) >= 0) {
                        withMarker.incrementAndGet();
                    }
                }
            });
            long[] keys = new long[20_000];
            String[] names = new String[keys.length];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = i;
                names[i] = "customer-" + i + "-" + MARKER;
            }
            Map<String, Object> cols = new java.util.LinkedHashMap<>();
            cols.put("k", keys);
            cols.put("name", names);
            LazyFrame customers = sw.fromColumns(cols);
            LazyFrame orders = sw.range("v", 0, 60_000).withColumns(col("v").mod(lit(20_000L)).alias("k"));
            LazyFrame q = orders.join(customers, "k", JoinType.INNER)
                    .groupBy("name").agg(col("v").sum().alias("s"))
                    .sort("name");
            try (DataFrame df = q.collect()) {
                rows.addAll(df.rows());
            }
        });
        return rows;
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void theMarkerReachesPlainSpillFilesAndNoEncryptedOne() {
        AtomicInteger plainBlocks = new AtomicInteger();
        AtomicInteger plainMarked = new AtomicInteger();
        List<List<Object>> plain = run(false, plainBlocks, plainMarked);
        AtomicInteger encBlocks = new AtomicInteger();
        AtomicInteger encMarked = new AtomicInteger();
        List<List<Object>> encrypted = run(true, encBlocks, encMarked);

        assertEquals(20_000, plain.size());
        assertEquals(plain, encrypted, "encryption changes no result");
        List<Object> first = plain.getFirst();
        assertEquals("customer-0-" + MARKER, first.get(0));
        assertEquals(0L + 20_000 + 40_000, first.get(1));
        assertTrue(plainBlocks.get() > 10 && encBlocks.get() > 10, "both runs spilled: " + plainBlocks + ", " + encBlocks);
        assertTrue(plainMarked.get() > 0, "the marker is readable in unencrypted spill files");
        assertEquals(0, encMarked.get(), "the marker is in no encrypted spill file");
    }

    @Test
    void theEnvironmentSwitchesEncryptionOnAndTheBuilderWins() {
        Map<String, String> on = Map.of(SpillwayConfig.SPILL_ENCRYPTION_ENV, "1");
        Map<String, String> off = Map.of(SpillwayConfig.SPILL_ENCRYPTION_ENV, "false");
        assertTrue(encryption(null, on));
        assertTrue(encryption(null, Map.of(SpillwayConfig.SPILL_ENCRYPTION_ENV, "true")));
        assertFalse(encryption(null, off));
        assertFalse(encryption(null, Map.of()));
        assertFalse(encryption(false, on));
        assertTrue(encryption(true, off));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> encryption(null, Map.of(SpillwayConfig.SPILL_ENCRYPTION_ENV, "maybe")));
        assertTrue(e.getMessage().contains("SPILLWAY_SPILL_ENCRYPTION='maybe'"), e.getMessage());
    }

    private static boolean encryption(Boolean given, Map<String, String> env) {
        Spillway.Builder b = Spillway.builder().memoryLimit(1L << 30).threads(1).morselRows(1024);
        if (given != null) {
            b.spillEncryption(given);
        }
        return b.resolve(new Settings(Map.of(), env)).spillEncryption();
    }
}
