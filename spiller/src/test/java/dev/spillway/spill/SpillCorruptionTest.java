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
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpillCorruptionTest {
    private static final Schema SCHEMA = Schema.of(Field.of("v", DataType.INT64), Field.of("s", DataType.UTF8));

    /** Writes two blocks and returns the file. */
    private static SpillFile write(TestMemory mem, SpillDirectory dir) {
        Random rnd = new Random(11);
        SpillWriter w = dir.newWriter("c");
        for (int b = 0; b < 2; b++) {
            List<List<Object>> rows = new ArrayList<>();
            for (int i = 0; i < 5000; i++) {
                rows.add(List.of((long) rnd.nextInt(100), "value-" + rnd.nextInt(50)));
            }
            try (Morsel m = RandomData.morsel(SCHEMA, rows, b, mem.pool(), mem.budget())) {
                w.append(m, b);
            }
        }
        return w.finish();
    }

    private static void flip(SpillFile f, long at) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(f.path().toFile(), "rw")) {
            raf.seek(at);
            int b = raf.read();
            raf.seek(at);
            raf.write(b ^ 0x5A);
        }
    }

    private static void assertCorrupt(TestMemory mem, SpillDirectory dir, SpillFile f, int block, String what) {
        SpillCorruptedException e = assertThrows(SpillCorruptedException.class, () -> {
            try (SpillReader r = dir.open(f, mem.budget())) {
                for (int b = 0; b < r.blockCount(); b++) {
                    r.read(b, SCHEMA).close();
                }
            }
        });
        assertTrue(e.getMessage().contains(f.path().toString()), e.getMessage());
        assertTrue(e.getMessage().contains(what), e.getMessage());
        assertEquals(block, e.block(), e.getMessage());
    }

    @Test
    void aFlippedByteInEveryRegionIsDetected() {
        assertNoLeaks(mem -> {
            try (SpillManager sm = SpillRoundTripTest.manager(mem); SpillDirectory dir = sm.createQueryDirectory("c", mem.budget())) {
                SpillFile clean = write(mem, dir);
                long size = clean.byteSize();
                // Every 97th byte from the first block's start to the end must be caught.
                int caught = 0;
                for (long at = SpillFormat.FILE_HEADER_BYTES; at < size; at += 97) {
                    SpillFile f = write(mem, dir);
                    flip(f, at);
                    assertThrows(SpillCorruptedException.class, () -> {
                        try (SpillReader r = dir.open(f, mem.budget())) {
                            for (int b = 0; b < r.blockCount(); b++) {
                                r.read(b, SCHEMA).close();
                            }
                        }
                    }, "flip at " + at + " of " + size);
                    caught++;
                    dir.delete(f);
                }
                assertTrue(caught > 10);
            }
        });
    }

    @Test
    void namedErrorsForDataHeaderAndTruncation() {
        assertNoLeaks(mem -> {
            try (SpillManager sm = SpillRoundTripTest.manager(mem); SpillDirectory dir = sm.createQueryDirectory("c", mem.budget())) {
                SpillFile data = write(mem, dir);
                long firstChunk = SpillFormat.FILE_HEADER_BYTES + SpillFormat.BLOCK_HEADER_BYTES
                        + 2 * SpillFormat.COLUMN_DESCRIPTOR_BYTES + 5 * SpillFormat.BUFFER_DESCRIPTOR_BYTES
                        + SpillFormat.CHUNK_DESCRIPTOR_BYTES + 10;
                flip(data, firstChunk);
                assertCorrupt(mem, dir, data, 0, "chunk 0 checksum mismatch");

                SpillFile header = write(mem, dir);
                flip(header, SpillFormat.FILE_HEADER_BYTES + 16);
                assertCorrupt(mem, dir, header, 0, "block metadata checksum mismatch");

                SpillFile truncated = write(mem, dir);
                try (FileChannel ch = FileChannel.open(truncated.path(), StandardOpenOption.WRITE)) {
                    ch.truncate(truncated.byteSize() - 7);
                }
                assertCorrupt(mem, dir, truncated, -1, "no trailer");

                SpillFile tiny = write(mem, dir);
                try (FileChannel ch = FileChannel.open(tiny.path(), StandardOpenOption.WRITE)) {
                    ch.truncate(10);
                }
                assertCorrupt(mem, dir, tiny, -1, "too short");

                SpillFile magic = write(mem, dir);
                flip(magic, 0);
                assertCorrupt(mem, dir, magic, -1, "bad file magic");

                SpillFile chunkSize = write(mem, dir);
                flip(chunkSize, SpillFormat.FILE_CHUNK_BYTES_OFFSET);
                assertCorrupt(mem, dir, chunkSize, -1, "chunk size");
            }
        });
    }
}
