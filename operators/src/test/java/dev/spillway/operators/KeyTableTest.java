package dev.spillway.operators;

import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.errors.MemoryLimitExceededException;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link KeyTable} against a {@code java.util} oracle: a map from the list of boxed key values
 * (-0.0 as 0.0) to the id, numbered in order of first insertion, over keys of every type with
 * nulls, NaN and -0.0, looked up through two inputs ({@link KeyTable.Rows}) whose morsels
 * interleave; words per id; a growth the budget refuses.
 */
class KeyTableTest {
    private static final DecimalType D6 = DecimalType.of(38, 6);
    private static final DecimalType D2 = DecimalType.of(38, 2);
    private static final Object[][] VALUES = {
        {1L, 2L, -7L, Long.MIN_VALUE, null},
        {3, 4, 0, null},
        {0.0, -0.0, Double.NaN, 1.5, null},
        {true, false, null},
        {"", "a", "ab", "日本", "a longer string than sixteen bytes", null},
        {LocalDate.ofEpochDay(0), LocalDate.ofEpochDay(-3), LocalDate.ofEpochDay(19000), null},
        {new BigDecimal("1.500000"), new BigDecimal("-2.000000"), new BigDecimal("0.000000"), null},
    };
    private static final DataType[] TYPES = {DataType.INT64, DataType.INT32, DataType.FLOAT64, DataType.BOOLEAN,
        DataType.UTF8, DataType.DATE32, DataType.DECIMAL128};

    private static Field field(String name, int type) {
        return Field.of(name, TYPES[type], TYPES[type] == DataType.DECIMAL128 ? D6 : null);
    }

    private static Object norm(Object v) {
        return v instanceof Double d && d == 0.0 ? 0.0 : v;
    }

    /** The boxed key of columns {@code from .. from + width} of a row, or null when one is null. */
    private static List<Object> key(List<Object> row, int from, int width) {
        List<Object> k = new ArrayList<>();
        for (int c = from; c < from + width; c++) {
            if (row.get(c) == null) {
                return null;
            }
            k.add(norm(row.get(c)));
        }
        return k;
    }

    @Test
    void mapsKeysToIdsAsBoxedValuesDo() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        try {
            assertNoLeaks(mem -> {
                for (int round = 0; round < 30; round++) {
                    int width = rnd.nextInt(4);
                    int[] types = new int[width];
                    List<Field> leftFields = new ArrayList<>();
                    List<Field> rightFields = new ArrayList<>(List.of(Field.of("pad", DataType.INT32)));
                    DataType[] keyTypes = new DataType[width];
                    for (int k = 0; k < width; k++) {
                        types[k] = rnd.nextInt(TYPES.length);
                        keyTypes[k] = TYPES[types[k]];
                        leftFields.add(field("l" + k, types[k]));
                        rightFields.add(field("r" + k, types[k]));
                    }
                    leftFields.add(Field.of("lv", DataType.INT64));
                    Schema left = new Schema(leftFields);
                    Schema right = new Schema(rightFields);
                    int[] leftCols = new int[width];
                    int[] rightCols = new int[width];
                    for (int k = 0; k < width; k++) {
                        leftCols[k] = k;
                        rightCols[k] = k + 1;
                    }
                    Map<List<Object>, Integer> oracle = new HashMap<>();
                    int big = 1 + rnd.nextInt(5000);
                    try (KeyTable table = new KeyTable(keyTypes, 2, -1, mem.pool(), mem.budget())) {
                        KeyTable.Rows l = table.rows(leftCols);
                        KeyTable.Rows r = table.rows(rightCols);
                        for (int morsel = 0; morsel < 6; morsel++) {
                            boolean onLeft = rnd.nextBoolean();
                            int n = rnd.nextInt(2000);
                            List<List<Object>> rows = new ArrayList<>();
                            for (int i = 0; i < n; i++) {
                                List<Object> row = new ArrayList<>();
                                if (!onLeft) {
                                    row.add(rnd.nextInt(10));
                                }
                                for (int k = 0; k < width; k++) {
                                    Object[] vs = VALUES[types[k]];
                                    Object v = vs[rnd.nextInt(vs.length)];
                                    // Many distinct int64 keys, so that the table grows several times.
                                    row.add(TYPES[types[k]] == DataType.INT64 && v != null ? (Long) v + rnd.nextInt(big) : v);
                                }
                                if (onLeft) {
                                    row.add((long) i);
                                }
                                rows.add(row);
                            }
                            KeyTable.Rows keys = onLeft ? l : r;
                            int from = onLeft ? 0 : 1;
                            boolean insert = rnd.nextInt(3) > 0;
                            try (Morsel m = RandomData.morsel(onLeft ? left : right, rows, morsel, mem.pool(), mem.budget())) {
                                keys.hash(m);
                                for (int i = 0; i < n; i++) {
                                    List<Object> k = key(rows.get(i), from, width);
                                    assertEquals(k == null, keys.hasNull(i), "null key of " + rows.get(i));
                                    if (k == null) {
                                        continue;
                                    }
                                    Integer want = oracle.get(k);
                                    if (!insert) {
                                        assertEquals(want == null ? -1 : want, table.find(keys, i), "find " + k);
                                        continue;
                                    }
                                    if (want == null) {
                                        want = oracle.size();
                                        oracle.put(k, want);
                                        assertEquals(-1L, table.word(table.findOrInsert(keys, i), 1), "new id's words");
                                    }
                                    int id = table.findOrInsert(keys, i);
                                    assertEquals((int) want, id, "id of " + k);
                                    table.setWord(id, 0, table.word(id, 0) + 1);
                                }
                            }
                        }
                        assertEquals(oracle.size(), table.size());
                        assertTrue(table.byteSize() > 0 || oracle.isEmpty());
                    }
                }
            });
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("failed with seed " + seed, e);
        }
    }

    @Test
    void decimalsOfAnotherScaleAreOtherKeys() {
        assertNoLeaks(mem -> {
            Schema s6 = Schema.of(Field.of("d", DataType.DECIMAL128, D6));
            Schema s2 = Schema.of(Field.of("d", DataType.DECIMAL128, D2));
            try (KeyTable table = new KeyTable(new DataType[] {DataType.DECIMAL128}, 0, 0, mem.pool(), mem.budget());
                    Morsel a = RandomData.morsel(s6, List.of(List.of(new BigDecimal("1.500000"))), 0, mem.pool(), mem.budget());
                    Morsel b = RandomData.morsel(s2, List.of(List.of(new BigDecimal("1.50"))), 0, mem.pool(), mem.budget());
                    Morsel c = RandomData.morsel(s6, List.of(List.of(new BigDecimal("1.500000"))), 1, mem.pool(), mem.budget())) {
                KeyTable.Rows six = table.rows(new int[] {0});
                KeyTable.Rows two = table.rows(new int[] {0});
                six.hash(a);
                assertEquals(0, table.findOrInsert(six, 0));
                two.hash(b);
                assertEquals(-1, table.find(two, 0), "1.50 is not 1.500000, as BigDecimal.equals says");
                assertEquals(1, table.findOrInsert(two, 0));
                six.hash(c);
                assertEquals(0, table.find(six, 0));
            }
        });
    }

    @Test
    void aRefusedGrowthLeavesTheTableAsItWas() {
        assertNoLeaks(1L << 20, mem -> {
            Schema schema = Schema.of(Field.of("k", DataType.INT64));
            int n = 3000;
            List<List<Object>> rows = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                rows.add(Arrays.asList((long) i * 31));
            }
            // Room for the hash scratch of the morsel and the first ids, not for 1024 ids.
            try (MemoryBudget small = mem.budget().child("table", 64_000);
                    Morsel m = RandomData.morsel(schema, rows, 0, mem.pool(), mem.budget())) {
                KeyTable table = new KeyTable(new DataType[] {DataType.INT64}, 1, -1, mem.pool(), small);
                try (table) {
                    KeyTable.Rows keys = table.rows(new int[] {0});
                    keys.hash(m);
                    int inserted = 0;
                    MemoryLimitExceededException refused = null;
                    for (int i = 0; i < n && refused == null; i++) {
                        try {
                            int id = table.findOrInsert(keys, i);
                            assertEquals(i, id);
                            table.setWord(id, 0, i * 2L);
                            inserted++;
                        } catch (MemoryLimitExceededException e) {
                            refused = e;
                        }
                    }
                    assertTrue(refused != null, "the small budget refuses a growth");
                    assertEquals(inserted, table.size(), "nothing half-inserted");
                    for (int i = 0; i < inserted; i++) {
                        int id = table.find(keys, i);
                        assertEquals(i, id, "key " + i + " still there");
                        assertEquals(i * 2L, table.word(id, 0), "its word too");
                    }
                    assertEquals(-1, table.find(keys, inserted), "the refused key is not in");
                    long held = small.reserved();
                    int refusedRow = inserted;
                    assertThrows(MemoryLimitExceededException.class, () -> table.findOrInsert(keys, refusedRow));
                    assertEquals(held, small.reserved(), "a refused growth keeps nothing");
                }
                assertEquals(0, small.reserved(), "closing frees everything");
            }
        });
    }
}
