package dev.spillway;

import dev.spillway.types.DataType;
import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.options.JoinType;
import dev.spillway.errors.SpillException;
import dev.spillway.spill.SpillListener;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.LongUnaryOperator;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A spill that cannot be written fails its query cleanly: the spill root disappears or becomes a
 * file after the engine started, or a query's own spill directory is deleted while it runs; every
 * operator kind that spills is made to spill (forced, and by memory pressure), and each failed
 * query names the spill root, gives all its memory back (budget at zero, no buffer outstanding,
 * however many queries failed), leaves no spill file, and the engine closes without a leak
 * report. Once the root is back, the same query succeeds.
 */
class SpillFailureTest {
    /** One query per operator kind that spills (the top-k and the AsOf join keep bounded state and never spill). */
    enum Kind {
        JOIN((sw, n) -> keyed(sw, "l", n).join(sw.range("r", 0, n / 4).withColumns(col("r").alias("k")), "k", JoinType.INNER),
                n -> n),
        GROUP_BY((sw, n) -> sw.range("v", 0, n).withColumns(col("v").mod(lit(n / 2)).alias("k")).groupBy("k")
                .agg(col("v").sum().alias("s")), n -> n / 2),
        UNIQUE((sw, n) -> sw.range("v", 0, n).select(col("v").mod(lit(n / 2)).alias("k"),
                col("v").mod(lit(n / 2)).cast(DataType.UTF8).alias("s")).unique(), n -> n / 2),
        SORT((sw, n) -> keyed(sw, "v", n).sort("k"), n -> n),
        MERGE_JOIN((sw, n) -> keyed(sw, "l", n).sort("k").join(sw.range("r", 0, n / 4).withColumns(col("r").alias("k"))
                .setSorted("k"), "k", JoinType.INNER), n -> n),
        /** Forced spilling only: its build side (the smaller input) would need a cross product of billions of pairs to outgrow the cap. */
        NESTED_LOOP((sw, n) -> sw.range("a", 0, 2_000).crossJoin(sw.range("b", 0, 50)).filter(col("a").lt(col("b"))),
                n -> 1_225),
        MULTIPLEXER((sw, n) -> {
            LazyFrame c = keyed(sw, "v", n).cache();
            return c.filter(col("v").mod(lit(2L)).eq(lit(0L))).concat(c.filter(col("v").mod(lit(2L)).eq(lit(1L))));
        }, n -> n);

        final BiFunction<Spillway, Long, LazyFrame> query;
        final LongUnaryOperator rows;

        Kind(BiFunction<Spillway, Long, LazyFrame> query, LongUnaryOperator rows) {
            this.query = query;
            this.rows = rows;
        }
    }

    /** What makes the operators spill. */
    enum Pressure {
        /** Every unit is written, whatever the memory. */
        FORCED(40_000, 64L << 20, 1.0, 2),
        /** The input is larger than the cap: the memory manager makes the stores spill. */
        MEMORY(600_000, 8L << 20, 0.0, 2);

        final long rows;
        final long cap;
        final double force;
        final int threads;

        Pressure(long rows, long cap, double force, int threads) {
            this.rows = rows;
            this.cap = cap;
            this.force = force;
            this.threads = threads;
        }
    }

    /** How the spill root is taken away after {@code build()}. */
    enum Fault {
        /** The root is deleted. */
        DELETED,
        /** The root is replaced by a regular file (unwritable as a directory, even for root). */
        REPLACED_BY_FILE,
        /** The query's own spill directory is deleted, with the file in it, after its first block was written. */
        DIRECTORY_REMOVED_DURING_QUERY
    }

    /** {@code n} rows: {@code value} = row number, {@code k} = row number mod n/4. */
    private static LazyFrame keyed(Spillway sw, String value, long n) {
        return sw.range(value, 0, n).withColumns(col(value).mod(lit(n / 4)).alias("k"));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aSpillThatCannotBeWrittenLeaksNothing(Kind kind) {
        for (Pressure pressure : Pressure.values()) {
            if (kind == Kind.NESTED_LOOP && pressure == Pressure.MEMORY) {
                continue;
            }
            run(kind, pressure);
        }
    }

    /** One engine: a query that spills, then each fault with two failed runs, then the query again. */
    private static void run(Kind kind, Pressure pressure) {
        LeakCheck.assertNoLeaks(mem -> {
            Path root = mem.tempRoot().resolve("spill");
            Path out = mem.dataDir().resolve("out.csv");
            long rows = kind.rows.applyAsLong(pressure.rows);
            AtomicBoolean armed = new AtomicBoolean();
            Spillway sw = Spillway.builder().memoryLimit(pressure.cap).threads(pressure.threads).morselRows(2048)
                    .forceSpill(pressure.force)
                    .tempDir(root).build();
            sw.spills().addListener(new SpillListener() {
                @Override
                public void blockWritten(Path file, int partition, int rows, long rawBytes, long storedBytes, long nanos) {
                    if (armed.compareAndSet(true, false)) {
                        deleteTree(file.getParent());
                    }
                }
            });
            try {
                assertEquals(rows, kind.query.apply(sw, pressure.rows).sinkCsv(out), kind + " " + pressure + " before a fault");
                assertTrue(sw.spills().stats().bytesWrittenRaw() > 0, kind + " " + pressure + " spilled");
                for (Fault fault : Fault.values()) {
                    String what = kind + " " + pressure + " " + fault;
                    if (fault != Fault.DIRECTORY_REMOVED_DURING_QUERY) {
                        breakRoot(root, fault);
                    }
                    for (int round = 0; round < 2; round++) {
                        int i = round;
                        armed.set(fault == Fault.DIRECTORY_REMOVED_DURING_QUERY);
                        RuntimeException e = assertThrows(RuntimeException.class,
                                () -> kind.query.apply(sw, pressure.rows).sinkCsv(out), what);
                        SpillException cause = causeOf(e, SpillException.class);
                        assertNotNull(cause, () -> what + ": no SpillException in " + chain(e));
                        assertTrue(cause.getMessage().contains(root.toString()), cause.getMessage());
                        assertEquals(0, sw.budget().reserved(), () -> what + " failure " + i + " left memory reserved:\n"
                                + sw.budget().leakReport());
                        assertEquals(0, sw.pool().outstandingBuffers(), what + " failure " + i + " left buffers outstanding");
                        assertEquals(0, sw.spills().bytesOnDisk(), what + " failure " + i + " left spill bytes counted");
                    }
                    restoreRoot(root);
                }
                assertEquals(rows, kind.query.apply(sw, pressure.rows).sinkCsv(out), kind + " " + pressure + " after the faults");
            } finally {
                restoreRoot(root);
                sw.close();
            }
            assertEquals(0, sw.budget().reserved(), "engine memory back to zero");
            assertEquals(0, sw.pool().outstandingBuffers(), "no buffer outstanding");
            try (var files = Files.list(root)) {
                assertEquals(List.of(), files.toList(), "no spill directory left");
            }
            Files.delete(root);
        });
    }

    private static void breakRoot(Path root, Fault fault) throws IOException {
        try (var left = Files.list(root)) {
            assertEquals(List.of(), left.toList(), "the spill root is empty between queries");
        }
        Files.delete(root);
        if (fault == Fault.REPLACED_BY_FILE) {
            Files.writeString(root, "not a directory");
        }
    }

    private static void restoreRoot(Path root) throws IOException {
        if (Files.isRegularFile(root)) {
            Files.delete(root);
        }
        Files.createDirectories(root);
    }

    private static void deleteTree(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T extends Throwable> T causeOf(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    private static String chain(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c).append("\n  caused by ");
        }
        return sb.toString();
    }
}
