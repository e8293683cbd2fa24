package dev.spillway.operators.csv;

import dev.spillway.memory.DataType;
import dev.spillway.memory.Field;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;
import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;

class CsvWriterTest {
    @Test
    void quotesOnlyWhereNeededAndKeepsEmptyDistinctFromNull() {
        assertNoLeaks(mem -> {
            Schema s = Schema.of(Field.of("name", DataType.UTF8), Field.of("x", DataType.FLOAT64), Field.of("ok", DataType.BOOLEAN));
            List<List<Object>> rows = List.of(
                    Arrays.asList("plain", 1.0, true),
                    Arrays.asList("a,b", -0.0, false),
                    Arrays.asList("say \"x\"", 0.1, null),
                    Arrays.asList("line\nbreak", 1e300, true),
                    Arrays.asList("", Double.NEGATIVE_INFINITY, false),
                    Arrays.asList(null, null, null));
            Path f = mem.dataDir().resolve("w.csv");
            try (CsvWriter w = new CsvWriter(f, s, CsvOptions.defaults());
                 Morsel m = RandomData.morsel(s, rows, 0, mem.pool(), mem.budget())) {
                w.write(m);
                assertEquals(6, w.rows());
            }
            assertEquals("name,x,ok\nplain,1.0,true\n\"a,b\",-0.0,false\n\"say \"\"x\"\"\",0.1,\n\"line\nbreak\",1.0E300,true\n"
                    + "\"\",-inf,false\n,,\n", Files.readString(f));
            assertEquals(rows, CsvScanTest.readAll(mem, List.of(f), CsvOptions.defaults().withSchema(s), null, 0));
        });
    }
}
