package dev.spillway.operators;

import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link KeyGroups} against a {@code java.util} oracle (a map from the list of boxed key values to
 * the group, numbered in order of first appearance), over morsels of few distinct values per
 * type, with nulls, NaN and -0.0, one reused instance for morsels of different sizes.
 */
class KeyGroupsFuzzTest {
    private static final Object[][] VALUES = {
        {1L, 2L, -7L, Long.MIN_VALUE, null},
        {3, 4, 0, null},
        {0.0, -0.0, Double.NaN, 1.5, null},
        {true, false, null},
        {"", "a", "ab", "日本", "a longer string than sixteen bytes", null},
    };
    private static final DataType[] TYPES = {DataType.INT64, DataType.INT32, DataType.FLOAT64, DataType.BOOLEAN,
        DataType.UTF8};

    @Test
    void groupsAsBoxedValuesDo() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        try {
            assertNoLeaks(mem -> {
                for (int round = 0; round < 40; round++) {
                    int width = 1 + rnd.nextInt(3);
                    List<Field> fields = new ArrayList<>();
                    int[] types = new int[width + 1];
                    for (int c = 0; c <= width; c++) {
                        types[c] = rnd.nextInt(TYPES.length);
                        fields.add(Field.of("c" + c, TYPES[types[c]]));
                    }
                    Schema schema = new Schema(fields);
                    int[] keys = new int[width];
                    for (int k = 0; k < width; k++) {
                        keys[k] = k + 1;
                    }
                    KeyGroups groups = new KeyGroups(keys);
                    for (int morsel = 0; morsel < 3; morsel++) {
                        int n = rnd.nextInt(3000);
                        boolean runs = rnd.nextBoolean();
                        List<List<Object>> rows = new ArrayList<>();
                        for (int r = 0; r < n; r++) {
                            if (runs && r > 0 && rnd.nextInt(8) > 0) {
                                rows.add(new ArrayList<>(rows.get(r - 1)));
                                continue;
                            }
                            List<Object> row = new ArrayList<>();
                            for (int c = 0; c <= width; c++) {
                                Object[] vs = VALUES[types[c]];
                                row.add(vs[rnd.nextInt(vs.length)]);
                            }
                            rows.add(row);
                        }
                        try (Morsel m = RandomData.morsel(schema, rows, morsel, mem.pool(), mem.budget())) {
                            int count = groups.group(m);
                            Map<List<Object>, Integer> oracle = new HashMap<>();
                            List<Integer> firstRows = new ArrayList<>();
                            for (int r = 0; r < n; r++) {
                                List<Object> key = rows.get(r).subList(1, width + 1);
                                Integer want = oracle.get(key);
                                if (want == null) {
                                    want = oracle.size();
                                    oracle.put(key, want);
                                    firstRows.add(r);
                                }
                                assertEquals(want, groups.rowGroups()[r], "row " + r + " " + key);
                            }
                            assertEquals(oracle.size(), count, Arrays.toString(types));
                            for (int g = 0; g < count; g++) {
                                assertEquals(firstRows.get(g), groups.firstRow(g), "first row of group " + g);
                            }
                        }
                    }
                }
            });
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("failed with seed " + seed, e);
        }
    }
}
