package dev.spillway.sql;

import dev.spillway.Spillway;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Errors a user can act on: where a syntax error is, which names are near an unknown one, both types of a mismatch. */
class SqlErrorTest {
    private static SqlContext context(Spillway sw) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("id", List.of(1L, 2L, 3L));
        t.put("name", List.of("a", "b", "c"));
        t.put("price", List.of(1.5, 2.5, 3.5));
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("id", List.of(1L, 2L));
        u.put("label", List.of("x", "y"));
        return SqlContext.of(sw).register("items", sw.fromColumns(t)).register("labels", sw.fromColumns(u));
    }

    private static SqlException fails(SqlContext ctx, String sql) {
        SqlException e = assertThrows(SqlException.class, () -> ctx.sql(sql));
        assertFalse(e.getMessage().contains("net.sf.jsqlparser"), () -> "parser internals leak: " + e.getMessage());
        assertFalse(e.getMessage().contains("\tat "), () -> "a stack trace in the message: " + e.getMessage());
        return e;
    }

    @Test
    void syntaxErrorNamesLineColumnAndToken() {
        SqlTestSupport.withEngine((sw, dir) -> {
            SqlException e = fails(context(sw), "select id,\n  name frm items");
            assertEquals(2, e.line(), e.getMessage());
            assertEquals(12, e.column(), e.getMessage());
            assertTrue(e.getMessage().contains("line 2, column 12"), e.getMessage());
            assertTrue(e.getMessage().contains("'items'"), e.getMessage());
            assertTrue(e.getMessage().contains("name frm items"), "shows the line: " + e.getMessage());
        });
    }

    @Test
    void unknownColumnListsNearestNames() {
        SqlTestSupport.withEngine((sw, dir) -> {
            SqlException e = fails(context(sw), "select nmae from items");
            assertTrue(e.getMessage().contains("column nmae does not exist"), e.getMessage());
            assertTrue(e.getMessage().contains("did you mean items.name"), e.getMessage());
        });
    }

    @Test
    void unknownTableListsNearestNames() {
        SqlTestSupport.withEngine((sw, dir) -> {
            SqlException e = fails(context(sw), "select * from itemz");
            assertTrue(e.getMessage().contains("table 'itemz' does not exist"), e.getMessage());
            assertTrue(e.getMessage().contains("did you mean items"), e.getMessage());
        });
    }

    @Test
    void ambiguousColumnAsksForAQualifier() {
        SqlTestSupport.withEngine((sw, dir) -> {
            SqlException e = fails(context(sw), "select id from items, labels where items.id = labels.id");
            assertTrue(e.getMessage().contains("ambiguous"), e.getMessage());
            assertTrue(e.getMessage().contains("items.id") && e.getMessage().contains("labels.id"), e.getMessage());
        });
    }

    @Test
    void typeMismatchNamesBothTypes() {
        SqlTestSupport.withEngine((sw, dir) -> {
            SqlException e = fails(context(sw), "select id from items where name > 3");
            String m = e.getMessage().toLowerCase(java.util.Locale.ROOT);
            assertTrue(m.contains("utf8") || m.contains("string") || m.contains("varchar"), e.getMessage());
            assertTrue(m.contains("int64") || m.contains("bigint"), e.getMessage());
        });
    }

    @Test
    void columnOutsideGroupByIsNamed() {
        SqlTestSupport.withEngine((sw, dir) -> {
            SqlException e = fails(context(sw), "select name, count(*) from items group by id");
            assertTrue(e.getMessage().contains("items.name must appear in the GROUP BY clause"), e.getMessage());
        });
    }

    @Test
    void unknownFunctionListsTheFunctions() {
        SqlTestSupport.withEngine((sw, dir) -> {
            SqlException e = fails(context(sw), "select frobnicate(id) from items");
            assertTrue(e.getMessage().contains("unknown function frobnicate"), e.getMessage());
            assertTrue(e.getMessage().contains("count, sum, avg"), e.getMessage());
        });
    }

    @Test
    void scriptWithoutQueryIsRefusedBySql() {
        SqlTestSupport.withEngine((sw, dir) -> {
            SqlContext ctx = context(sw);
            SqlException e = fails(ctx, "create view v as select id from items");
            assertTrue(e.getMessage().contains("no query"), e.getMessage());
        });
    }
}
