package dev.spillway.tpch;

import dev.spillway.internal.EngineInternals;

import dev.spillway.DataFrame;
import dev.spillway.Spillway;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.sql.SqlContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The 22 TPC-H queries from their official SQL text ({@link TpchQueries#sql}), planned by the SQL
 * front end, against DuckDB running the same text over the same Parquet files and against the
 * lazy-API version of each query ({@link TpchQueries#query}), with the comparison rules of
 * {@link TpchCheckTest} ({@link ResultComparison}), at the same memory settings. Each run is inside
 * a leak check.
 */
class TpchSqlTest {
    @TempDir
    static Path data;

    private static Connection duck;
    private static final Map<Integer, List<List<Object>>> EXPECTED = new HashMap<>();

    @BeforeAll
    static void generate() throws SQLException {
        duck = ResultComparison.generateForDuckDb(TpchCheckTest.SCALE, data);
    }

    @AfterAll
    static void close() throws SQLException {
        if (duck != null) {
            duck.close();
        }
    }

    /** The queries and settings to run: all 22 at the check's three settings unless narrowed ({@code -Dspillway.tpch.queries=6,13}, {@code -Dspillway.tpch.settings=NO_CAP}). */
    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        List<String> settings = TpchCheckTest.SETTINGS;
        String only = System.getProperty("spillway.tpch.queries", "");
        for (int q = 1; q <= TpchQueries.COUNT; q++) {
            if (!only.isEmpty() && !List.of(only.split(",")).contains(String.valueOf(q))) {
                continue;
            }
            for (TpchCheckTest.Setting s : List.of(TpchCheckTest.NO_CAP, TpchCheckTest.CAPPED, TpchCheckTest.FORCED)) {
                if (settings.contains(s.name())) {
                    out.add(Arguments.of(q, s));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "Q{0} {1}")
    @MethodSource("cases")
    void sqlMatchesDuckDbAndLazyApi(int query, TpchCheckTest.Setting setting) throws Exception {
        List<List<Object>> expected = expected(query);
        LeakCheck.assertNoLeaks(mem -> {
            Path spill = mem.tempRoot().resolve("spill-" + setting.name());
            Spillway sw = Spillway.builder().threads(2).tempDir(spill).memoryLimit(setting.cap())
                    .morselRows(setting.morselRows()).forceSpill(setting.forceSpill()).build();
            try {
                SqlContext ctx = SqlContext.of(sw);
                for (String t : TpchSchema.tables()) {
                    ctx.register(t, TpchQueries.scan(sw, data, t));
                }
                List<List<Object>> fromSql;
                int[] order;
                try (DataFrame df = ctx.sql(TpchQueries.sql(query)).collect()) {
                    fromSql = ResultComparison.normalize(df.rows());
                    order = ResultComparison.orderColumns(query, df.columns());
                }
                String diff = ResultComparison.difference(fromSql, expected, order);
                assertNull(diff, () -> String.format(Locale.ROOT, "Q%d from SQL at %s differs from DuckDB: %s", query, setting, diff));
                // Other settings: TpchCheckTest compares the lazy version with the same DuckDB result.
                if (setting == TpchCheckTest.NO_CAP) {
                    List<List<Object>> lazy;
                    try (DataFrame df = TpchQueries.query(query, sw, data).collect()) {
                        lazy = ResultComparison.normalize(df.rows());
                    }
                    String vsLazy = ResultComparison.difference(fromSql, lazy, order);
                    assertNull(vsLazy, () -> String.format(Locale.ROOT, "Q%d from SQL at %s differs from the lazy API: %s", query,
                            setting, vsLazy));
                }
            } finally {
                sw.close();
                try {
                    Files.deleteIfExists(spill);
                } catch (DirectoryNotEmptyException e) {
                    // The leak check names what was left behind.
                }
            }
            assertEquals(0, EngineInternals.budget(sw).reserved(), "engine memory back to zero");
        });
    }

    /** TPC-H Q15 as the specification writes it: a view created, queried and dropped in one script. */
    static final String Q15_VIEW_SCRIPT = """
            create view revenue0 (supplier_no, total_revenue) as
                select l_suppkey, sum(l_extendedprice * (1 - l_discount))
                from lineitem
                where l_shipdate >= date '1996-01-01' and l_shipdate < date '1996-01-01' + interval '3' month
                group by l_suppkey;

            select s_suppkey, s_name, s_address, s_phone, total_revenue
            from supplier, revenue0
            where s_suppkey = supplier_no
                and total_revenue = (select max(total_revenue) from revenue0)
            order by s_suppkey;

            drop view revenue0;
            """;

    @Test
    void q15AsAViewScriptMatchesDuckDb() throws Exception {
        List<List<Object>> expected = expected(15);
        SqlTestSupportAccess.withEngine(sw -> {
            SqlContext ctx = SqlContext.of(sw);
            for (String t : TpchSchema.tables()) {
                ctx.register(t, TpchQueries.scan(sw, data, t));
            }
            try (DataFrame df = ctx.sql(Q15_VIEW_SCRIPT).collect()) {
                String diff = ResultComparison.difference(ResultComparison.normalize(df.rows()), expected,
                        ResultComparison.orderColumns(15, df.columns()));
                assertNull(diff, () -> "Q15 as a view script differs from DuckDB: " + diff);
            }
            assertTrue(!ctx.tables().contains("revenue0"), "the script dropped its view");
        });
    }

    private static List<List<Object>> expected(int query) throws SQLException {
        List<List<Object>> rows = EXPECTED.get(query);
        if (rows != null) {
            return rows;
        }
        rows = ResultComparison.duckDbRows(duck, query);
        EXPECTED.put(query, rows);
        return rows;
    }
}
