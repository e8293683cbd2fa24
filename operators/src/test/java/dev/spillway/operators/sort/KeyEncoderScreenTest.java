package dev.spillway.operators.sort;

import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link KeyEncoder#screenFirstKey}, which a top-k uses to filter arriving rows without encoding
 * them, against comparing the rows' encoded first-key words with the threshold's: every type, both
 * directions, both null placements, columns with and without nulls, thresholds drawn from the
 * rows (ties) and null thresholds.
 */
class KeyEncoderScreenTest {
    @Test
    void screeningAgreesWithTheEncodedFirstKey() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        LeakCheck.assertNoLeaks(mem -> {
            for (DataType type : DataType.values()) {
                Field a = type == DataType.DECIMAL128 ? Field.decimal("a", 30, 4) : Field.of("a", type);
                Schema schema = Schema.of(a, Field.of("b", DataType.INT64));
                for (int round = 0; round < 24; round++) {
                    double nullRate = round % 3 == 0 ? 0 : 0.2;
                    // A few distinct values, so that rows tie with the threshold.
                    List<Object> pool = new ArrayList<>();
                    for (int i = 0; i < 1 + rnd.nextInt(6); i++) {
                        pool.add(RandomData.value(a, rnd, 0));
                    }
                    int n = 1 + rnd.nextInt(3000);
                    List<List<Object>> rows = new ArrayList<>();
                    for (int r = 0; r < n; r++) {
                        Object v = rnd.nextDouble() < nullRate ? null : pool.get(rnd.nextInt(pool.size()));
                        rows.add(Arrays.asList(v, (long) r));
                    }
                    boolean desc = rnd.nextBoolean();
                    boolean nullsFirst = rnd.nextBoolean();
                    SortSpec spec = new SortSpec(schema, new int[] {0, 1}, new boolean[] {desc, false},
                            new boolean[] {nullsFirst, false}, false);
                    KeyEncoder enc = new KeyEncoder(spec);
                    String what = type + " desc=" + desc + " nullsFirst=" + nullsFirst + " nullRate=" + nullRate + " seed " + seed;
                    try (Morsel m = RandomData.morsel(schema, rows, 0, mem.pool(), mem.budget()); Arena arena = Arena.ofConfined()) {
                        int w = enc.width();
                        MemorySegment keys = arena.allocate(enc.bytesFor(n));
                        enc.encode(m, keys, 0);
                        long[] words = keys.toArray(KeyEncoder.WORD);
                        // The threshold: some row's key (a null one when that row's value is null).
                        int at = rnd.nextInt(n) * w;
                        long[] t = Arrays.copyOfRange(words, at, at + w);
                        MemorySegment out = arena.allocate(SortKernel.indexBytes(n));
                        int screened = enc.screenFirstKey(m, t, out);
                        if (type == DataType.BOOLEAN || type == DataType.UTF8 || type == DataType.DECIMAL128) {
                            assertEquals(-1, screened, "not screened: " + what);
                            continue;
                        }
                        List<Integer> expected = new ArrayList<>();
                        int fw = enc.firstKeyWidth();
                        for (int r = 0; r < n; r++) {
                            int c = Arrays.compareUnsigned(words, r * w, r * w + fw, t, 0, fw);
                            if (c < 0) {
                                expected.add(r);
                            } else if (c == 0) {
                                expected.add(~r);
                            }
                        }
                        int[] actual = Arrays.copyOf(out.toArray(SortKernel.INDEX), screened);
                        assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), actual, what);
                    }
                }
            }
        });
    }
}
