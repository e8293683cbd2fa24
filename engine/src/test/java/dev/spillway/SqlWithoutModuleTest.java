package dev.spillway;

import dev.spillway.errors.PlanException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Without the SQL module on the class path, {@code Spillway.sql} says what is missing. */
class SqlWithoutModuleTest {
    @Test
    void sqlNamesTheMissingModule() {
        EngineTestSupport.withEngine((sw, dir) -> {
            PlanException e = assertThrows(PlanException.class, () -> sw.sql("select 1"));
            assertTrue(e.getMessage().contains("SQL module"), e.getMessage());
            assertThrows(PlanException.class, () -> sw.register("t", sw.range("x", 0, 1)));
        });
    }
}
