package dev.spillway.memory;

import dev.spillway.types.Field;

import dev.spillway.types.DataType;
import dev.spillway.types.Schema;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MorselTest {
    private static final Schema SCHEMA = Schema.of(Field.of("id", DataType.INT64), Field.of("name", DataType.UTF8));

    private static Morsel morsel(LeakCheckMem mem, int rows, long seq) {
        Int64Builder ids = (Int64Builder) ColumnBuilder.create(DataType.INT64, mem.pool, mem.budget, rows);
        Utf8Builder names = (Utf8Builder) ColumnBuilder.create(DataType.UTF8, mem.pool, mem.budget, rows);
        for (int i = 0; i < rows; i++) {
            ids.append(i);
            names.append("n" + i);
        }
        return new Morsel(SCHEMA, List.of(ids.build(), names.build()), rows, seq);
    }

    private record LeakCheckMem(BlockPool pool, MemoryBudget budget) {
    }

    @Test
    void derivedMorselsShareBuffersAndCloseInAnyOrder() {
        assertNoLeaks(m -> {
            LeakCheckMem mem = new LeakCheckMem(m.pool(), m.budget());
            Morsel base = morsel(mem, 1000, 3);
            long reserved = m.budget().reserved();
            Morsel renumbered = base.withSequence(9);
            Morsel slice = base.slice(10, 5);
            Morsel names = base.select(1);
            assertEquals(reserved, m.budget().reserved(), "derived morsels are zero-copy");
            base.close();
            assertEquals(9, renumbered.sequence());
            assertEquals(3, slice.sequence());
            assertEquals(14L, ((Int64Vector) slice.column("id")).get(4));
            assertEquals("n999", ((Utf8Vector) names.column(0)).getString(999));
            assertEquals(List.of("name"), names.schema().names());
            renumbered.close();
            names.close();
            assertTrue(m.budget().reserved() > 0, "the slice still holds the buffers");
            slice.close();
            slice.close();
        });
    }

    @Test
    void mismatchedColumnsAreRejectedAndFreed() {
        assertNoLeaks(m -> {
            Int64Builder ids = (Int64Builder) ColumnBuilder.create(DataType.INT64, m.pool(), m.budget(), 2);
            ids.append(1);
            ColumnVector one = ids.build();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new Morsel(Schema.of(Field.of("id", DataType.INT64)), List.of(one), 2, 0));
            assertTrue(e.getMessage().contains("'id' has 1 rows"), e.getMessage());
            Int64Builder ids2 = (Int64Builder) ColumnBuilder.create(DataType.INT64, m.pool(), m.budget(), 2);
            ColumnVector empty = ids2.build();
            e = assertThrows(IllegalArgumentException.class,
                    () -> new Morsel(Schema.of(Field.of("s", DataType.UTF8)), List.of(empty), 0, 0));
            assertTrue(e.getMessage().contains("declared utf8 but holds int64"), e.getMessage());
        });
    }

    @Test
    void schemaErrorsNameTheAvailableColumns() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SCHEMA.require("nme"));
        assertEquals("column 'nme' not found; available: id, name", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Schema.of(Field.of("a", DataType.INT32), Field.of("a", DataType.INT64)));
        assertEquals(1, SCHEMA.indexOf("name"));
        assertEquals(-1, SCHEMA.indexOf("zzz"));
    }
}
