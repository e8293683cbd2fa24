package dev.spillway.sql;

import dev.spillway.DataFrame;
import dev.spillway.LazyFrame;
import dev.spillway.Spillway;
import dev.spillway.errors.PlanException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code Spillway.sql} and {@code Spillway.register}: the engine's own catalog, through the service. */
class SpillwaySqlTest {
    private static LazyFrame numbers(Spillway sw, int n) {
        Map<String, Object> cols = new LinkedHashMap<>();
        long[] id = new long[n];
        long[] grp = new long[n];
        for (int i = 0; i < n; i++) {
            id[i] = i;
            grp[i] = i % 7;
        }
        cols.put("id", id);
        cols.put("grp", grp);
        return sw.fromColumns(cols);
    }

    @Test
    void registeredTablesAndFilesAreQueriedFromTheEngine() {
        SqlTestSupport.withEngine((sw, dir) -> {
            sw.register("Numbers", numbers(sw, 1000));
            try (DataFrame df = sw.sql("select grp, count(*) as n, sum(id) as s from numbers where id < 700 group by grp"
                    + " order by grp").collect()) {
                assertEquals(7, df.rowCount());
                long total = 0;
                for (List<Object> row : df.rows()) {
                    total += (Long) row.get(1);
                }
                assertEquals(700, total);
            }
            Path csv = dir.resolve("t.csv");
            java.nio.file.Files.writeString(csv, "k,v\n1,x\n2,y\n3,z\n");
            try (DataFrame df = sw.sql("select n.id, t.v from read_csv('" + csv + "') t join numbers n on n.id = t.k"
                    + " order by n.id").collect()) {
                assertEquals(List.of(List.of(1L, "x"), List.of(2L, "y"), List.of(3L, "z")), df.rows());
            }
            // Views made by a script stay in the engine's catalog.
            sw.sql("create view small as select * from numbers where id < 10; select count(*) from small").collect().close();
            try (DataFrame df = sw.sql("select count(*) as n from small").collect()) {
                assertEquals(List.of(List.of(10L)), df.rows());
            }
            assertTrue(sw.unregister("SMALL"));
            assertFalse(sw.unregister("small"));
            SqlException e = assertThrows(SqlException.class, () -> sw.sql("select * from smal"));
            assertTrue(e.getMessage().contains("numbers"), e.getMessage());
        });
    }

    @Test
    void aFrameOfAnotherEngineIsRefused() {
        SqlTestSupport.withEngine((sw, dir) -> {
            try (Spillway other = Spillway.builder().threads(1).tempDir(dir.resolve("other")).build()) {
                PlanException e = assertThrows(PlanException.class, () -> sw.register("t", other.range("x", 0, 3)));
                assertTrue(e.getMessage().contains("another Spillway instance"), e.getMessage());
            }
        });
    }

    @Test
    void threadsRegisterAndQueryAtOnce() {
        SqlTestSupport.withEngine((sw, dir) -> {
            sw.register("numbers", numbers(sw, 5000));
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int me = t;
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < 15; i++) {
                            String name = "t" + me + "_" + i;
                            sw.register(name, sw.range("v", 0, 100 + i));
                            try (DataFrame df = sw.sql("select count(*) as n, sum(v) as s from " + name
                                    + " join numbers on v = id").collect()) {
                                long n = 100 + i;
                                assertEquals(List.of(List.of(n, n * (n - 1) / 2)), df.rows(), name);
                            }
                            assertTrue(sw.unregister(name));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
        });
    }
}
