package dev.spillway.operators.eval;

import dev.spillway.errors.ExprEvaluationException;
import dev.spillway.errors.ExprTypeException;
import dev.spillway.expr.BinaryOp;
import dev.spillway.expr.UnaryOp;

import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import dev.spillway.memory.Timestamps;
import dev.spillway.memory.testing.LeakCheck.TestMemory;
import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static dev.spillway.operators.eval.ExprEvalTest.eval;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Timestamp expressions against a java.time oracle: naive values (LocalDateTime) and values with a
 * time zone that changes its offset (Europe/Berlin), random across seeds, with nulls.
 */
class TimestampEvalTest {
    private static final String ZONE = "Europe/Berlin";
    private static final ZoneId BERLIN = ZoneId.of(ZONE);
    private static final int ROWS = 400;
    private static final Schema SCHEMA = Schema.of(Field.timestamp("n", null), Field.timestamp("z", ZONE),
            Field.timestamp("n2", null), Field.of("d", DataType.DATE32), Field.of("s", DataType.UTF8),
            Field.of("i", DataType.INT64));
    private static final PhysicalExpr N = PhysicalExprs.column(0, SCHEMA.field(0));
    private static final PhysicalExpr Z = PhysicalExprs.column(1, SCHEMA.field(1));
    private static final PhysicalExpr N2 = PhysicalExprs.column(2, SCHEMA.field(2));
    private static final PhysicalExpr D = PhysicalExprs.column(3, SCHEMA.field(3));
    private static final PhysicalExpr S = PhysicalExprs.column(4, SCHEMA.field(4));
    private static final PhysicalExpr I = PhysicalExprs.column(5, SCHEMA.field(5));

    private static List<List<Object>> rows(Random rnd) {
        List<List<Object>> rows = new ArrayList<>();
        for (int r = 0; r < ROWS; r++) {
            LocalDateTime n = rnd.nextInt(10) == 0 ? null : Timestamps.toLocal(RandomData.timestampMicros(rnd));
            Instant z = rnd.nextInt(10) == 0 ? null : Timestamps.toInstant(RandomData.timestampMicros(rnd));
            LocalDateTime n2 = rnd.nextInt(10) == 0 ? null : rnd.nextInt(5) == 0 && n != null ? n
                    : Timestamps.toLocal(RandomData.timestampMicros(rnd));
            LocalDate d = rnd.nextInt(10) == 0 ? null : rnd.nextInt(4) == 0 && n != null ? n.toLocalDate()
                    : LocalDate.ofEpochDay(rnd.nextInt(60_000) - 20_000);
            String s = n == null ? null : Timestamps.format(Timestamps.ofLocal(n), null).replace(rnd.nextBoolean() ? " " : "x", "T");
            Long i = rnd.nextInt(10) == 0 ? null : RandomData.timestampMicros(rnd);
            rows.add(Arrays.asList(n, z, n2, d, s, i));
        }
        return rows;
    }

    private static void check(TestMemory mem, PhysicalExpr e, List<List<Object>> rows, Function<List<Object>, Object> oracle) {
        List<Object> got = eval(mem, e, SCHEMA, rows);
        for (int r = 0; r < rows.size(); r++) {
            assertEquals(oracle.apply(rows.get(r)), got.get(r), e + " on row " + rows.get(r));
        }
    }

    private static LocalDateTime ldt(Object v) {
        return (LocalDateTime) v;
    }

    private static Instant inst(Object v) {
        return (Instant) v;
    }

    /** SQL's three-valued AND. */
    private static Boolean and(Boolean a, Boolean b) {
        if (Boolean.FALSE.equals(a) || Boolean.FALSE.equals(b)) {
            return false;
        }
        return a == null || b == null ? null : true;
    }

    private static Boolean cmp(LocalDateTime a, LocalDateTime b, BinaryOp op) {
        return a == null || b == null ? null : op.holds(a.compareTo(b));
    }

    @Test
    void comparisonsCastsPartsAndIntervalsMatchJavaTime() {
        long seed = Long.getLong("spillway.test.seed", System.nanoTime());
        Random rnd = new Random(seed);
        try {
            assertNoLeaks(mem -> {
                for (int round = 0; round < 3; round++) {
                    List<List<Object>> rows = rows(rnd);
                    for (BinaryOp op : new BinaryOp[] {BinaryOp.EQ, BinaryOp.NE, BinaryOp.LT, BinaryOp.LE, BinaryOp.GT, BinaryOp.GE}) {
                        check(mem, PhysicalExprs.binary(op, N, N2), rows, r -> cmp(ldt(r.get(0)), ldt(r.get(2)), op));
                        // A date compares as its midnight; in a zoned comparison as midnight in that zone.
                        check(mem, PhysicalExprs.binary(op, N, D), rows, r -> cmp(ldt(r.get(0)),
                                r.get(3) == null ? null : ((LocalDate) r.get(3)).atStartOfDay(), op));
                        check(mem, PhysicalExprs.binary(op, D, Z), rows, r -> r.get(1) == null || r.get(3) == null ? null
                                : op.holds(((LocalDate) r.get(3)).atStartOfDay(BERLIN).toInstant().compareTo(inst(r.get(1)))));
                        // A naive constant beside a zoned column is wall-clock time in its zone.
                        LocalDateTime k = LocalDateTime.of(2010, 3, 28, 2, 30);
                        check(mem, PhysicalExprs.binary(op, Z, PhysicalExprs.timestampLiteral(k, null)), rows,
                                r -> r.get(1) == null ? null : op.holds(inst(r.get(1)).compareTo(
                                        ZonedDateTime.ofLocal(k, BERLIN, null).toInstant())));
                    }
                    LocalDateTime lo = LocalDateTime.of(1960, 1, 1, 0, 0);
                    LocalDateTime hi = LocalDateTime.of(2030, 6, 30, 12, 0, 0, 500_000_000);
                    check(mem, PhysicalExprs.between(N, PhysicalExprs.timestampLiteral(lo, null),
                            PhysicalExprs.timestampLiteral(hi, null)), rows,
                            r -> r.get(0) == null ? null : !ldt(r.get(0)).isBefore(lo) && !ldt(r.get(0)).isAfter(hi));
                    check(mem, PhysicalExprs.between(N, D, N2), rows, r -> and(
                            cmp(ldt(r.get(0)), r.get(3) == null ? null : ((LocalDate) r.get(3)).atStartOfDay(), BinaryOp.GE),
                            cmp(ldt(r.get(0)), ldt(r.get(2)), BinaryOp.LE)));
                    LocalDateTime member = ldt(rows.stream().filter(r -> r.get(0) != null).findFirst().orElseThrow().get(0));
                    check(mem, PhysicalExprs.isIn(N, List.of(member, Timestamps.ofLocal(lo))), rows,
                            r -> r.get(0) == null ? null : ldt(r.get(0)).equals(member) || ldt(r.get(0)).equals(lo));
                    Instant instMember = inst(rows.stream().filter(r -> r.get(1) != null).findFirst().orElseThrow().get(1));
                    check(mem, PhysicalExprs.isIn(Z, Arrays.asList(instMember, null)), rows,
                            r -> r.get(1) != null && inst(r.get(1)).equals(instMember) ? Boolean.TRUE : null);

                    // Casts.
                    check(mem, PhysicalExprs.cast(N, DataType.UTF8), rows,
                            r -> r.get(0) == null ? null : Timestamps.format(Timestamps.ofLocal(ldt(r.get(0))), null));
                    check(mem, PhysicalExprs.cast(Z, DataType.UTF8), rows,
                            r -> r.get(1) == null ? null : Timestamps.format(Timestamps.ofInstant(inst(r.get(1))), BERLIN));
                    check(mem, PhysicalExprs.cast(S, DataType.TIMESTAMP), rows, r -> r.get(0));
                    check(mem, PhysicalExprs.cast(S, DataType.TIMESTAMP, ZONE), rows,
                            r -> r.get(0) == null ? null : ZonedDateTime.ofLocal(ldt(r.get(0)), BERLIN, null).toInstant());
                    check(mem, PhysicalExprs.cast(N, DataType.DATE32), rows, r -> r.get(0) == null ? null : ldt(r.get(0)).toLocalDate());
                    check(mem, PhysicalExprs.cast(Z, DataType.DATE32), rows,
                            r -> r.get(1) == null ? null : inst(r.get(1)).atZone(BERLIN).toLocalDate());
                    check(mem, PhysicalExprs.cast(D, DataType.TIMESTAMP), rows,
                            r -> r.get(3) == null ? null : ((LocalDate) r.get(3)).atStartOfDay());
                    check(mem, PhysicalExprs.cast(D, DataType.TIMESTAMP, ZONE), rows,
                            r -> r.get(3) == null ? null : ((LocalDate) r.get(3)).atStartOfDay(BERLIN).toInstant());
                    check(mem, PhysicalExprs.cast(N, DataType.INT64), rows,
                            r -> r.get(0) == null ? null : Timestamps.ofLocal(ldt(r.get(0))));
                    check(mem, PhysicalExprs.cast(I, DataType.TIMESTAMP, "UTC"), rows,
                            r -> r.get(5) == null ? null : Timestamps.toInstant((Long) r.get(5)));
                    check(mem, PhysicalExprs.cast(Z, DataType.TIMESTAMP), rows,
                            r -> r.get(1) == null ? null : LocalDateTime.ofInstant(inst(r.get(1)), BERLIN));
                    check(mem, PhysicalExprs.cast(N, DataType.TIMESTAMP, ZONE), rows,
                            r -> r.get(0) == null ? null : ZonedDateTime.ofLocal(ldt(r.get(0)), BERLIN, null).toInstant());
                    PhysicalExpr toUtc = PhysicalExprs.cast(Z, DataType.TIMESTAMP, "UTC");
                    assertEquals("UTC", toUtc.timeZone());
                    check(mem, toUtc, rows, r -> r.get(1));

                    // Parts, on the wall clock.
                    UnaryOp[] parts = {UnaryOp.YEAR, UnaryOp.MONTH, UnaryOp.DAY, UnaryOp.HOUR, UnaryOp.MINUTE, UnaryOp.SECOND};
                    for (UnaryOp op : parts) {
                        check(mem, PhysicalExprs.unary(op, N), rows, r -> r.get(0) == null ? null : part(op, ldt(r.get(0))));
                        check(mem, PhysicalExprs.unary(op, Z), rows,
                                r -> r.get(1) == null ? null : part(op, LocalDateTime.ofInstant(inst(r.get(1)), BERLIN)));
                    }

                    // Intervals: months (clamped), days, then exact microseconds.
                    long months = rnd.nextInt(40) - 20;
                    long days = rnd.nextInt(80) - 40;
                    long micros = rnd.nextLong(200_000_000_000L) - 100_000_000_000L;
                    check(mem, PhysicalExprs.addInterval(N, months, days, micros), rows, r -> r.get(0) == null ? null
                            : ldt(r.get(0)).plusMonths(months).plusDays(days).plus(micros, ChronoUnit.MICROS));
                    check(mem, PhysicalExprs.addInterval(Z, months, days, micros), rows, r -> r.get(1) == null ? null
                            : ZonedDateTime.ofLocal(LocalDateTime.ofInstant(inst(r.get(1)), BERLIN).plusMonths(months).plusDays(days),
                                    BERLIN, null).toInstant().plus(micros, ChronoUnit.MICROS));
                    check(mem, PhysicalExprs.addInterval(D, 0, 1, 3_600_000_000L), rows,
                            r -> r.get(3) == null ? null : ((LocalDate) r.get(3)).atStartOfDay().plusDays(1).plusHours(1));
                    assertEquals(DataType.TIMESTAMP, PhysicalExprs.addInterval(D, 0, 1, 1).type());
                    assertEquals(ZONE, PhysicalExprs.addInterval(Z, 1, 0, 0).timeZone());

                    // when / coalesce keep the zone; a naive constant among zoned values takes it.
                    PhysicalExpr co = PhysicalExprs.coalesce(List.of(Z, PhysicalExprs.timestampLiteral(LocalDateTime.of(2000, 1, 1, 0, 0), null)));
                    assertEquals(ZONE, co.timeZone());
                    check(mem, co, rows, r -> r.get(1) != null ? r.get(1)
                            : LocalDateTime.of(2000, 1, 1, 0, 0).atZone(BERLIN).toInstant());
                }
            });
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("failed with seed " + seed, e);
        }
    }

    private static int part(UnaryOp op, LocalDateTime t) {
        return switch (op) {
            case YEAR -> t.getYear();
            case MONTH -> t.getMonthValue();
            case DAY -> t.getDayOfMonth();
            case HOUR -> t.getHour();
            case MINUTE -> t.getMinute();
            case SECOND -> t.getSecond();
            default -> throw new AssertionError(op);
        };
    }

    @Test
    void literalsFromJavaTimeAndText() {
        assertNoLeaks(mem -> {
            List<List<Object>> one = List.of(Arrays.asList(null, null, null, null, null, null));
            LocalDateTime t = LocalDateTime.of(2024, 1, 2, 3, 4, 5, 123_456_000);
            assertEquals(List.of(t), eval(mem, PhysicalExprs.timestampLiteral("2024-01-02 03:04:05.123456", null), SCHEMA, one));
            assertEquals(List.of(t), eval(mem, PhysicalExprs.literal(t, DataType.TIMESTAMP), SCHEMA, one));
            Instant i = Instant.parse("2024-01-02T02:04:05.123456Z");
            assertEquals(List.of(i), eval(mem, PhysicalExprs.timestampLiteral(i, ZONE), SCHEMA, one));
            assertEquals(List.of(i), eval(mem, PhysicalExprs.timestampLiteral(t, ZONE), SCHEMA, one), "wall clock in Berlin");
            assertEquals(List.of(i), eval(mem, PhysicalExprs.timestampLiteral("2024-01-02T03:04:05.123456+01:00", "UTC"), SCHEMA,
                    one));
            assertEquals("timestamp(\"2024-01-02 03:04:05.123456\")", PhysicalExprs.timestampLiteral(t, null).toString());
            ExprTypeException naiveInstant = assertThrows(ExprTypeException.class, () -> PhysicalExprs.timestampLiteral(i, null));
            assertTrue(naiveInstant.getMessage().contains("needs a timestamp with a time zone"), naiveInstant.getMessage());
            ExprTypeException text = assertThrows(ExprTypeException.class,
                    () -> PhysicalExprs.timestampLiteral("2024-02-30 00:00", null));
            assertTrue(text.getMessage().contains("'2024-02-30 00:00' is not a timestamp"), text.getMessage());
        });
    }

    @Test
    void errorsNameTheTypesAndTheRemedy() {
        ExprTypeException plus = assertThrows(ExprTypeException.class, () -> PhysicalExprs.binary(BinaryOp.PLUS, N, I));
        assertTrue(plus.getMessage().contains("cannot apply '+' to timestamp and int64") && plus.getMessage().contains("Duration"),
                plus.getMessage());
        ExprTypeException mixed = assertThrows(ExprTypeException.class, () -> PhysicalExprs.binary(BinaryOp.LT, N, Z));
        assertTrue(mixed.getMessage().contains("timestamp and timestamp(Europe/Berlin)")
                && mixed.getMessage().contains("without a time zone"), mixed.getMessage());
        ExprTypeException str = assertThrows(ExprTypeException.class, () -> PhysicalExprs.binary(BinaryOp.EQ, N, S));
        assertTrue(str.getMessage().contains("compares with timestamps and dates"), str.getMessage());
        ExprTypeException bool = assertThrows(ExprTypeException.class, () -> PhysicalExprs.cast(N, DataType.BOOLEAN));
        assertTrue(bool.getMessage().contains("cannot cast timestamp to boolean"), bool.getMessage());
        ExprTypeException zone = assertThrows(ExprTypeException.class, () -> PhysicalExprs.cast(N, DataType.TIMESTAMP, "Nowhere/X"));
        assertTrue(zone.getMessage().contains("unknown time zone 'Nowhere/X'"), zone.getMessage());
        ExprTypeException hour = assertThrows(ExprTypeException.class, () -> PhysicalExprs.unary(UnaryOp.HOUR, D));
        assertTrue(hour.getMessage().contains("it needs a timestamp"), hour.getMessage());
        assertNoLeaks(mem -> {
            List<List<Object>> bad = List.of(Arrays.asList(null, null, null, null, "2024-01-02 25:00", null));
            ExprEvaluationException e = assertThrows(ExprEvaluationException.class,
                    () -> eval(mem, PhysicalExprs.cast(S, DataType.TIMESTAMP), SCHEMA, bad));
            assertTrue(e.getMessage().contains("cannot cast '2024-01-02 25:00' to timestamp") && e.getMessage().contains("yyyy-MM-dd"),
                    e.getMessage());
        });
    }
}
