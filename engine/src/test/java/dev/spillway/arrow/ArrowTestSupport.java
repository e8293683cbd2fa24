package dev.spillway.arrow;

import dev.spillway.internal.EngineInternals;

import dev.spillway.LazyFrame;
import dev.spillway.Spillway;
import dev.spillway.memory.testing.LeakCheck;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** An engine with leak checks (budget, pool, spill files, unreleased exports) and sample data of every type. */
// Calling a release callback is a downcall; the test JVMs grant native access.
@SuppressWarnings("restricted")
final class ArrowTestSupport {
    private static final MethodHandle CALL_RELEASE = Linker.nativeLinker().downcallHandle(
            FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));

    private ArrowTestSupport() {
    }

    @FunctionalInterface
    interface Body {
        void run(Spillway sw) throws Exception;
    }

    /** Runs {@code body} with a 2-thread engine of {@code morselRows}-row morsels; fails on any leak. */
    static void withEngine(int morselRows, Body body) {
        withEngine(morselRows, UnaryOperator.identity(), body);
    }

    /** Like {@link #withEngine(int, Body)} with further settings (forced spilling, say). */
    static void withEngine(int morselRows, UnaryOperator<Spillway.Builder> settings, Body body) {
        LeakCheck.assertNoLeaks(mem -> {
            Path spill = mem.tempRoot().resolve("spill");
            Spillway sw = settings.apply(Spillway.builder().memoryLimit(64L << 20).threads(2).morselRows(morselRows)
                    .tempDir(spill)).build();
            try {
                body.run(sw);
            } catch (Throwable t) {
                try {
                    sw.close();
                } catch (RuntimeException e) {
                    t.addSuppressed(e);
                }
                throw t;
            }
            sw.close();
            assertEquals(0, EngineInternals.budget(sw).reserved(), "engine memory back to zero");
            assertEquals(0, ArrowExport.unreleased(), "every exported struct released");
            try (var files = Files.list(spill)) {
                assertEquals(0, files.count(), "no spill directory left");
            }
            Files.delete(spill);
        });
    }

    /**
     * {@code rows} rows of every type, about one in five null (every column has a null in row 1),
     * strings of 0 to 12 characters with some non-ASCII ones.
     */
    static LazyFrame sample(Spillway sw, int rows, long seed) {
        Random r = new Random(seed);
        List<Integer> i = new ArrayList<>();
        List<Long> l = new ArrayList<>();
        List<Double> g = new ArrayList<>();
        List<Boolean> b = new ArrayList<>();
        List<LocalDate> d = new ArrayList<>();
        List<String> s = new ArrayList<>();
        List<BigDecimal> dec = new ArrayList<>();
        List<LocalDateTime> ts = new ArrayList<>();
        List<Instant> tz = new ArrayList<>();
        for (int row = 0; row < rows; row++) {
            boolean forceNull = row == 1;
            i.add(forceNull || r.nextInt(5) == 0 ? null : r.nextInt());
            l.add(forceNull || r.nextInt(5) == 0 ? null : r.nextLong());
            g.add(forceNull || r.nextInt(5) == 0 ? null : r.nextGaussian() * 1e6);
            b.add(forceNull || r.nextInt(5) == 0 ? null : r.nextBoolean());
            d.add(forceNull || r.nextInt(5) == 0 ? null : LocalDate.ofEpochDay(r.nextInt(40_000) - 10_000));
            s.add(forceNull || r.nextInt(5) == 0 ? null : text(r));
            dec.add(forceNull || r.nextInt(5) == 0 ? null
                    : BigDecimal.valueOf(r.nextLong() % 1_000_000_000_000L, 2).setScale(2));
            ts.add(forceNull || r.nextInt(5) == 0 ? null
                    : LocalDateTime.of(1960 + r.nextInt(100), 1 + r.nextInt(12), 1 + r.nextInt(28), r.nextInt(24),
                            r.nextInt(60), r.nextInt(60), r.nextInt(1_000_000) * 1000));
            tz.add(forceNull || r.nextInt(5) == 0 ? null : Instant.ofEpochSecond(r.nextInt(), r.nextInt(1_000_000) * 1000L));
        }
        Map<String, Object> cols = new LinkedHashMap<>();
        cols.put("i", i);
        cols.put("l", l);
        cols.put("g", g);
        cols.put("b", b);
        cols.put("d", d);
        cols.put("s", s);
        cols.put("dec", dec);
        cols.put("ts", ts);
        cols.put("tz", tz);
        return sw.fromColumns(cols);
    }

    private static String text(Random r) {
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(13);
        for (int k = 0; k < n; k++) {
            sb.append(r.nextInt(10) == 0 ? 'é' : (char) ('a' + r.nextInt(26)));
        }
        return sb.toString();
    }

    /** Calls the release callback of the C struct at {@code struct} whose release pointer is at {@code releaseOffset}. */
    static void release(MemorySegment struct, long releaseOffset) {
        long fn = struct.get(ValueLayout.JAVA_LONG, releaseOffset);
        try {
            CALL_RELEASE.invokeExact(MemorySegment.ofAddress(fn), struct);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Child {@code i} of the ArrowArray at {@code array}. */
    static MemorySegment childArray(MemorySegment array, int i) {
        long children = array.get(ValueLayout.JAVA_LONG, CData.ARRAY_CHILDREN);
        long child = MemorySegment.ofAddress(children).reinterpret(8L * (i + 1)).getAtIndex(ValueLayout.JAVA_LONG, i);
        return MemorySegment.ofAddress(child).reinterpret(CData.ARRAY_SIZE);
    }
}
