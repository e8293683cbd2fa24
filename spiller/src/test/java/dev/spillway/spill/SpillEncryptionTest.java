package dev.spillway.spill;

import dev.spillway.errors.SpillCorruptedException;

import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck.TestMemory;
import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Encrypted spill files: every chunk is AES-GCM under a per-query key; data round-trips exactly
 * (compressed or not, several chunks per buffer, read from several threads), no plaintext reaches
 * the disk, and any damage, tampering or key mismatch fails with the file and block named.
 */
class SpillEncryptionTest {
    private static final String MARKER = "Zq7-MARKER-personal-data-8Kx2";
    private static final Schema SCHEMA = Schema.of(Field.of("v", DataType.INT64), Field.of("s", DataType.UTF8));

    private static SpillManager manager(TestMemory mem, boolean encrypt, boolean compress) {
        return new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()).withEncryption(encrypt)
                .withCompression(compress), mem.pool());
    }

    /** Rows whose strings each carry the marker, with random text around it. */
    private static List<List<Object>> markedRows(Random rnd, int n) {
        List<List<Object>> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            rows.add(List.of((long) rnd.nextInt(1000), "row-" + i + "-" + MARKER + "-" + rnd.nextInt(1_000_000)));
        }
        return rows;
    }

    private static SpillFile write(TestMemory mem, SpillDirectory dir, List<List<List<Object>>> blocks) {
        SpillWriter w = dir.newWriter("enc");
        for (int b = 0; b < blocks.size(); b++) {
            try (Morsel m = RandomData.morsel(SCHEMA, blocks.get(b), b, mem.pool(), mem.budget())) {
                w.append(m, b);
            }
        }
        return w.finish();
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    @Test
    void everyTypeRoundTripsEncryptedWithAndWithoutCompression() {
        long seed = System.nanoTime();
        try {
            assertNoLeaks(mem -> {
                Random rnd = new Random(seed);
                Schema schema = RandomData.allTypes();
                for (boolean compress : new boolean[] {true, false}) {
                    try (SpillManager sm = manager(mem, true, compress);
                         SpillDirectory dir = sm.createQueryDirectory("enc", mem.budget())) {
                        List<List<List<Object>>> expected = new ArrayList<>();
                        SpillWriter w = dir.newWriter("enc");
                        for (int i = 0; i < 8; i++) {
                            int n = i == 0 ? 0 : rnd.nextInt(3000);
                            List<List<Object>> rows = RandomData.rows(schema, n, rnd, 0.3);
                            try (Morsel m = RandomData.morsel(schema, rows, i, mem.pool(), mem.budget())) {
                                w.append(m, i % 3);
                            }
                            expected.add(rows);
                        }
                        SpillFile f = w.finish();
                        try (SpillReader r = dir.open(f, mem.budget())) {
                            for (int b = 0; b < r.blockCount(); b++) {
                                try (Morsel back = r.read(b, schema)) {
                                    assertEquals(expected.get(b), RandomData.rowsOf(back), "block " + b + " compress " + compress);
                                }
                            }
                        }
                    }
                }
            });
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("failed with seed " + seed, e);
        }
    }

    @Test
    void buffersOfSeveralChunksReadBackOnSeveralThreads() {
        assertNoLeaks(mem -> {
            Random rnd = new Random(5);
            List<List<List<Object>>> blocks = new ArrayList<>();
            for (int b = 0; b < 4; b++) {
                blocks.add(markedRows(rnd, 60_000));
            }
            for (boolean compress : new boolean[] {true, false}) {
                try (SpillManager sm = manager(mem, true, compress);
                     SpillDirectory dir = sm.createQueryDirectory("enc", mem.budget())) {
                    SpillFile f = write(mem, dir, blocks);
                    assertTrue(f.rawBytes() / blocks.size() > 2L * dir.chunkBytes(), "several chunks per block");
                    ExecutorService pool = Executors.newFixedThreadPool(4);
                    try (SpillReader r = dir.open(f, mem.budget())) {
                        List<Future<List<List<Object>>>> reads = new ArrayList<>();
                        for (int round = 0; round < 3; round++) {
                            for (int b = 0; b < r.blockCount(); b++) {
                                int block = b;
                                reads.add(pool.submit(() -> {
                                    try (Morsel back = r.read(block, SCHEMA)) {
                                        return RandomData.rowsOf(back);
                                    }
                                }));
                            }
                        }
                        for (int i = 0; i < reads.size(); i++) {
                            assertEquals(blocks.get(i % blocks.size()), reads.get(i).get(), "read " + i);
                        }
                    } finally {
                        pool.shutdown();
                    }
                }
            }
        });
    }

    @Test
    void theMarkerIsOnDiskInPlainFilesAndNowhereInEncryptedOnes() {
        assertNoLeaks(mem -> {
            byte[] marker = MARKER.getBytes(StandardCharsets.UTF_8);
            for (boolean compress : new boolean[] {true, false}) {
                for (boolean encrypt : new boolean[] {false, true}) {
                    try (SpillManager sm = manager(mem, encrypt, compress);
                         SpillDirectory dir = sm.createQueryDirectory("enc", mem.budget())) {
                        SpillFile f = write(mem, dir, List.of(markedRows(new Random(9), 20_000)));
                        byte[] bytes = Files.readAllBytes(f.path());
                        assertEquals(!encrypt, contains(bytes, marker),
                                "marker in the file, compress=" + compress + " encrypt=" + encrypt);
                        assertFalse(encrypt && contains(bytes, "row-1999".getBytes(StandardCharsets.UTF_8)),
                                "no row text in an encrypted file");
                    }
                }
            }
        });
    }

    @Test
    void aFlippedByteAnywhereInAnEncryptedFileIsDetected() {
        assertNoLeaks(mem -> {
            Random rnd = new Random(13);
            List<List<List<Object>>> blocks = List.of(markedRows(rnd, 3000), markedRows(rnd, 3000));
            try (SpillManager sm = manager(mem, true, true); SpillDirectory dir = sm.createQueryDirectory("enc", mem.budget())) {
                SpillFile clean = write(mem, dir, blocks);
                long size = clean.byteSize();
                int caught = 0;
                for (long at = SpillFormat.FILE_HEADER_BYTES; at < size; at += 61) {
                    SpillFile f = write(mem, dir, blocks);
                    flip(f, at);
                    assertThrows(SpillCorruptedException.class, () -> readAll(mem, dir, f), "flip at " + at + " of " + size);
                    caught++;
                    dir.delete(f);
                }
                assertTrue(caught > 10);
            }
        });
    }

    @Test
    void tamperedCiphertextFailsItsTagNamingFileAndBlock() {
        assertNoLeaks(mem -> {
            Random rnd = new Random(17);
            List<List<List<Object>>> blocks = List.of(markedRows(rnd, 2000), markedRows(rnd, 2000));
            try (SpillManager sm = manager(mem, true, true); SpillDirectory dir = sm.createQueryDirectory("enc", mem.budget())) {
                SpillFile f = write(mem, dir, blocks);
                long secondBlock;
                try (SpillReader r = dir.open(f, mem.budget())) {
                    secondBlock = blockOffset(f, 1);
                    assertEquals(2, r.blockCount());
                }
                // Block 1's first chunk (its int64 values): descriptor, nonce, then ciphertext.
                long ciphertext = secondBlock + SpillFormat.BLOCK_HEADER_BYTES + 2 * SpillFormat.COLUMN_DESCRIPTOR_BYTES
                        + 5 * SpillFormat.BUFFER_DESCRIPTOR_BYTES + SpillFormat.CHUNK_DESCRIPTOR_BYTES
                        + SpillFormat.GCM_NONCE_BYTES + 3;
                flip(f, ciphertext);
                try (SpillReader r = dir.open(f, mem.budget())) {
                    r.read(0, SCHEMA).close();
                    SpillCorruptedException e = assertThrows(SpillCorruptedException.class, () -> r.read(1, SCHEMA));
                    assertEquals(1, e.block());
                    assertEquals(f.path(), e.file());
                    assertTrue(e.getMessage().contains(f.path().toString()) && e.getMessage().contains("block 1")
                            && e.getMessage().contains("AES-GCM authentication tag"), e.getMessage());
                }
            }
        });
    }

    @Test
    void anotherQuerysKeyAndAPlainChunkAreRefused() {
        assertNoLeaks(mem -> {
            List<List<List<Object>>> blocks = List.of(markedRows(new Random(21), 1000));
            try (SpillManager enc = manager(mem, true, true); SpillManager plain = manager(mem, false, true);
                 SpillDirectory a = enc.createQueryDirectory("a", mem.budget());
                 SpillDirectory b = enc.createQueryDirectory("b", mem.budget());
                 SpillDirectory p = plain.createQueryDirectory("p", mem.budget())) {
                SpillFile fa = write(mem, a, blocks);
                SpillCorruptedException other = assertThrows(SpillCorruptedException.class, () -> readAll(mem, b, fa));
                assertTrue(other.getMessage().contains("AES-GCM authentication tag"), other.getMessage());
                SpillFile fp = write(mem, p, blocks);
                SpillCorruptedException unencrypted = assertThrows(SpillCorruptedException.class, () -> readAll(mem, a, fp));
                assertTrue(unencrypted.getMessage().contains("is not encrypted"), unencrypted.getMessage());
                SpillCorruptedException encrypted = assertThrows(SpillCorruptedException.class, () -> readAll(mem, p, fa));
                assertTrue(encrypted.getMessage().contains("is encrypted"), encrypted.getMessage());
                readAll(mem, a, fa);
                readAll(mem, p, fp);
            }
        });
    }

    private static long blockOffset(SpillFile f, int block) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(f.path().toFile(), "r")) {
            long trailer = raf.length() - SpillFormat.TRAILER_BYTES;
            raf.seek(trailer);
            long indexOffset = Long.reverseBytes(raf.readLong());
            raf.seek(indexOffset + (long) block * SpillFormat.INDEX_ENTRY_BYTES);
            return Long.reverseBytes(raf.readLong());
        }
    }

    private static void readAll(TestMemory mem, SpillDirectory dir, SpillFile f) {
        try (SpillReader r = dir.open(f, mem.budget())) {
            for (int b = 0; b < r.blockCount(); b++) {
                r.read(b, SCHEMA).close();
            }
        }
    }

    private static void flip(SpillFile f, long at) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(f.path().toFile(), "rw")) {
            raf.seek(at);
            int b = raf.read();
            raf.seek(at);
            raf.write(b ^ 0x5A);
        }
    }
}
