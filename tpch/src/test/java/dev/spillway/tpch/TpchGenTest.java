package dev.spillway.tpch;

import dev.spillway.DataFrame;
import dev.spillway.Spillway;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck;
import io.trino.tpch.TpchColumn;
import io.trino.tpch.TpchColumnType;
import io.trino.tpch.TpchEntity;
import io.trino.tpch.TpchTable;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The generated files hold exactly the rows of dbgen's Java port, read straight from its
 * iterators as the oracle, with {@link TpchSchema}'s names and types, in Parquet and in CSV.
 */
class TpchGenTest {
    private static final double SCALE = 0.005;

    @Test
    void parquetHoldsTheGeneratorsRows() {
        roundTrip(TpchGen.Format.PARQUET);
    }

    @Test
    void csvHoldsTheGeneratorsRows() {
        roundTrip(TpchGen.Format.CSV);
    }

    private static void roundTrip(TpchGen.Format format) {
        LeakCheck.assertNoLeaks(mem -> {
            Path dir = mem.dataDir().resolve("tpch");
            Map<String, Long> counts = new TpchGen(SCALE, format, mem.pool(), mem.budget()).writeAll(dir, 2);
            assertEquals(TpchSchema.tables(), List.copyOf(counts.keySet()));
            try (Stream<Path> files = Files.list(dir)) {
                List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
                List<String> want = TpchSchema.tables().stream().map(t -> t + "." + format.extension()).sorted().toList();
                assertEquals(want, names, "one file per table, no partial file");
            }
            Path spill = mem.tempRoot().resolve("spill");
            try (Spillway sw = Spillway.builder().threads(2).tempDir(spill).memoryLimit(256L << 20).build()) {
                for (String table : TpchSchema.tables()) {
                    List<List<Object>> want = oracle(TpchTable.getTable(table), TpchSchema.schema(table));
                    assertEquals(want.size(), counts.get(table), table + " row count");
                    try (DataFrame df = TpchQueries.scan(sw, dir, table).collect()) {
                        assertEquals(TpchSchema.schema(table).names(), df.columns(), table + " columns");
                        for (Field f : TpchSchema.schema(table)) {
                            assertEquals(f.typeName(), df.schema().field(f.name()).typeName(), table + "." + f.name() + " type");
                        }
                        List<List<Object>> got = ResultComparison.normalize(df.rows());
                        for (int r = 0; r < want.size(); r++) {
                            assertEquals(want.get(r), got.get(r), table + " row " + r);
                        }
                        assertEquals(want.size(), got.size(), table + " rows read back");
                    }
                }
            } finally {
                Files.deleteIfExists(spill);
            }
        });
    }

    /** The generator's rows converted as the schema says, straight from its iterator. */
    private static <E extends TpchEntity> List<List<Object>> oracle(TpchTable<E> table, Schema schema) {
        List<List<Object>> rows = new ArrayList<>();
        for (E e : table.createGenerator(SCALE, 1, 1)) {
            List<Object> row = new ArrayList<>();
            for (Field f : schema) {
                TpchColumn<E> c = table.getColumn(f.name());
                row.add(switch (f.type()) {
                    case INT64 -> c.getType().getBase() == TpchColumnType.Base.INTEGER ? (long) c.getInteger(e) : c.getIdentifier(e);
                    case INT32 -> (long) c.getInteger(e);
                    case DATE32 -> LocalDate.ofEpochDay(c.getDate(e));
                    case FLOAT64 -> c.getDouble(e);
                    case UTF8 -> c.getString(e);
                    // The shortest decimal form of dbgen's double, which must have no more digits than the scale.
                    case DECIMAL128 -> (c.getType().getBase() == TpchColumnType.Base.INTEGER ? BigDecimal.valueOf(c.getInteger(e))
                            : BigDecimal.valueOf(c.getDouble(e))).setScale(f.decimal().scale(), RoundingMode.UNNECESSARY);
                    case BOOLEAN, TIMESTAMP -> throw new AssertionError("no boolean or timestamp column in the TPC-H schema");
                });
            }
            rows.add(row);
        }
        return rows;
    }

    @Test
    void rejectsBadScaleAndUnknownTable() {
        LeakCheck.assertNoLeaks(mem -> {
            IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                    () -> new TpchGen(0, TpchGen.Format.PARQUET, mem.pool(), mem.budget()));
            assertTrue(zero.getMessage().contains("positive number"), zero.getMessage());
            IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                    () -> new TpchGen(Double.NaN, TpchGen.Format.PARQUET, mem.pool(), mem.budget()));
            assertTrue(nan.getMessage().contains("got NaN"), nan.getMessage());
            IllegalArgumentException table = assertThrows(IllegalArgumentException.class, () -> TpchSchema.schema("items"));
            assertTrue(table.getMessage().contains("'items' is not a TPC-H table") && table.getMessage().contains("lineitem"),
                    table.getMessage());
            IllegalArgumentException format = assertThrows(IllegalArgumentException.class, () -> TpchGen.Format.parse("orc"));
            assertTrue(format.getMessage().contains("parquet and csv"), format.getMessage());
        });
    }
}
