package dev.spillway.memory;

import dev.spillway.types.Field;

import dev.spillway.types.DataType;

import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TimestampsTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @Test
    void parsesEveryAcceptedFormAgainstJavaTime() {
        LocalDateTime t = LocalDateTime.of(2024, 1, 2, 3, 4, 5, 123_456_000);
        assertEquals(Timestamps.ofLocal(t), Timestamps.parse("2024-01-02 03:04:05.123456", null));
        assertEquals(Timestamps.ofLocal(t), Timestamps.parse("2024-01-02T03:04:05.123456", null));
        assertEquals(Timestamps.ofLocal(t), Timestamps.parse("2024-01-02 03:04:05.123456789", null), "nanoseconds dropped");
        assertEquals(Timestamps.ofLocal(t.withNano(100_000_000)), Timestamps.parse("2024-01-02 03:04:05.1", null));
        assertEquals(Timestamps.ofLocal(t.withNano(0)), Timestamps.parse("2024-01-02 03:04:05", null));
        assertEquals(Timestamps.ofLocal(t.withSecond(0).withNano(0)), Timestamps.parse("2024-01-02 03:04", null));
        assertEquals(Timestamps.ofLocal(LocalDateTime.of(2024, 1, 2, 0, 0)), Timestamps.parse("2024-01-02", null));
        assertEquals(Timestamps.ofLocal(LocalDateTime.of(1969, 12, 31, 23, 59, 59, 999_999_000)),
                Timestamps.parse("1969-12-31 23:59:59.999999", null), "before the epoch: negative micros");
        assertEquals(-1, Timestamps.parse("1969-12-31 23:59:59.999999", null));
        // Offsets in a zoned column: the instant.
        Instant i = Instant.parse("2024-01-02T02:04:05.123456Z");
        assertEquals(Timestamps.ofInstant(i), Timestamps.parse("2024-01-02 03:04:05.123456+01:00", BERLIN));
        assertEquals(Timestamps.ofInstant(i), Timestamps.parse("2024-01-02T03:04:05.123456+0100", ZoneOffset.UTC));
        assertEquals(Timestamps.ofInstant(i), Timestamps.parse("2024-01-02 03:04:05.123456+01", ZoneOffset.UTC));
        assertEquals(Timestamps.ofInstant(i), Timestamps.parse("2024-01-02T02:04:05.123456Z", BERLIN));
        assertEquals(Timestamps.ofInstant(Instant.parse("2024-01-02T05:34:05Z")),
                Timestamps.parse("2024-01-02 03:04:05-02:30", BERLIN));
        // Without an offset in a zoned column: wall-clock time there (winter +01:00, summer +02:00).
        assertEquals(Timestamps.ofInstant(i), Timestamps.parse("2024-01-02 03:04:05.123456", BERLIN));
        assertEquals(Timestamps.ofInstant(Instant.parse("2024-07-01T10:00:00Z")), Timestamps.parse("2024-07-01 12:00", BERLIN));
        // A wall-clock time skipped by the spring change moves forward by the gap, as ZonedDateTime.of does.
        assertEquals(Timestamps.ofInstant(ZonedDateTime.of(LocalDateTime.of(2024, 3, 31, 2, 30), BERLIN).toInstant()),
                Timestamps.parse("2024-03-31 02:30", BERLIN));
    }

    @Test
    void rejectsMalformedTextNamingTheForms() {
        for (String bad : new String[] {"", "2024", "2024-1-02", "2024-13-01", "2024-02-30", "2023-02-29", "2024-01-02 24:00",
            "2024-01-02 12:60", "2024-01-02 12:00:60", "2024-01-02 12:00:00.", "2024-01-02 12:00:00.1234567890",
            "2024-01-02x12:00", "2024-01-02 12:00+25:00", "2024-01-02 12:00 UTC", "2024-01-02 12", "abc", "2024-01-02 12:00Z1"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Timestamps.parse(bad, ZoneOffset.UTC),
                    bad);
            assertTrue(e.getMessage().contains("'" + bad + "' is not a timestamp") && e.getMessage().contains("yyyy-MM-dd"),
                    e.getMessage());
        }
        IllegalArgumentException offset = assertThrows(IllegalArgumentException.class,
                () -> Timestamps.parse("2024-01-02 03:04:05+01:00", null));
        assertTrue(offset.getMessage().contains("UTC offset") && offset.getMessage().contains("without a time zone"),
                offset.getMessage());
        IllegalArgumentException zone = assertThrows(IllegalArgumentException.class,
                () -> Field.timestamp("ts", "Mars/Olympus"));
        assertTrue(zone.getMessage().contains("unknown time zone 'Mars/Olympus' of column 'ts'"), zone.getMessage());
        IllegalArgumentException notTs = assertThrows(IllegalArgumentException.class,
                () -> Field.of("n", DataType.INT64, null, "UTC"));
        assertTrue(notTs.getMessage().contains("cannot have a time zone"), notTs.getMessage());
    }

    @Test
    void formatAndParseRoundTripAcrossSeeds() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        DateTimeFormatter iso = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss");
        try {
            for (int i = 0; i < 20_000; i++) {
                long micros = RandomData.timestampMicros(rnd);
                LocalDateTime local = Timestamps.toLocal(micros);
                String naive = Timestamps.format(micros, null);
                assertTrue(naive.startsWith(local.format(iso)), naive + " vs " + local);
                assertEquals(micros, Timestamps.parse(naive, null), naive);
                String zoned = Timestamps.format(micros, BERLIN);
                ZonedDateTime z = Timestamps.toInstant(micros).atZone(BERLIN);
                assertTrue(zoned.startsWith(z.toLocalDateTime().format(iso)), zoned + " vs " + z);
                assertTrue(zoned.endsWith(z.getOffset().getId()), zoned + " vs " + z);
                assertEquals(micros, Timestamps.parse(zoned, BERLIN), zoned);
                assertEquals(micros, Timestamps.parse(zoned, ZoneOffset.UTC), "the offset decides, not the column's zone");
                assertEquals(z.toLocalDateTime(), Timestamps.toLocal(Timestamps.toLocal(micros, BERLIN)));
                int months = rnd.nextInt(61) - 30;
                assertEquals(Timestamps.ofLocal(local.plusMonths(months)), Timestamps.plusMonths(micros, months, null),
                        local + " + " + months + " months");
            }
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("failed with seed " + seed, e);
        }
        assertEquals("2024-01-02 03:04:05.12", Timestamps.format(Timestamps.parse("2024-01-02 03:04:05.120", null), null));
        assertEquals("2024-01-02 03:04:05", Timestamps.format(Timestamps.parse("2024-01-02 03:04:05", null), null));
        assertEquals("2024-07-01 12:00:00+02:00", Timestamps.format(Timestamps.parse("2024-07-01 10:00Z", BERLIN), BERLIN));
    }

    @Test
    void monthsClampToTheMonthEnd() {
        long jan31 = Timestamps.parse("2024-01-31 10:00", null);
        assertEquals(Timestamps.parse("2024-02-29 10:00", null), Timestamps.plusMonths(jan31, 1, null));
        assertEquals(Timestamps.parse("2023-02-28 10:00", null), Timestamps.plusMonths(jan31, -11, null));
        assertEquals(Timestamps.parse("2024-04-30 10:00", null), Timestamps.plusMonths(jan31, 3, null));
        // In a zone the wall clock is kept across the daylight-saving change (winter +01:00 to summer +02:00).
        long march = Timestamps.parse("2024-03-15 12:00", BERLIN);
        assertEquals(Timestamps.parse("2024-04-15 12:00", BERLIN), Timestamps.plusMonths(march, 1, BERLIN));
        assertEquals(Timestamps.parse("2024-04-15T10:00Z", BERLIN), Timestamps.plusMonths(march, 1, BERLIN));
    }

    @Test
    void vectorsCarryTheZoneThroughBuildersSlicesAndExport() {
        assertNoLeaks(mem -> {
            Field zoned = Field.timestamp("ts", "Europe/Berlin");
            List<Object> expected = new ArrayList<>();
            try (ColumnBuilder b = ColumnBuilder.create(zoned, mem.pool(), mem.budget(), 1)) {
                assertEquals("Europe/Berlin", b.timeZone());
                for (int i = 0; i < 100; i++) {
                    Instant v = i % 7 == 0 ? null : Instant.ofEpochSecond(1_700_000_000L + i * 86_400L * 30, i * 1000L);
                    expected.add(v);
                    b.appendObject(v);
                }
                IllegalArgumentException s = assertThrows(IllegalArgumentException.class, () -> b.appendObject("2024-01-01"));
                assertTrue(s.getMessage().contains("timestamp"), s.getMessage());
                try (ColumnVector v = b.build();
                     ColumnVector slice = v.slice(3, 50);
                     ColumnVector copy = ColumnVector.fromBuffers(slice.field("c"), slice.length(), slice.nullCount(),
                             exported(slice, 0, mem), exported(slice, 1, mem), null)) {
                    assertEquals(DataType.TIMESTAMP, v.type());
                    assertEquals("Europe/Berlin", v.timeZone());
                    assertEquals("Europe/Berlin", slice.timeZone());
                    assertEquals("Europe/Berlin", copy.timeZone());
                    assertEquals(zoned.withName("c"), copy.field("c"));
                    for (int i = 0; i < 100; i++) {
                        assertEquals(expected.get(i), v.getObject(i));
                        if (expected.get(i) != null) {
                            assertEquals(Timestamps.format(Timestamps.ofInstant((Instant) expected.get(i)), BERLIN), v.format(i));
                        }
                    }
                    for (int i = 0; i < 50; i++) {
                        assertEquals(expected.get(3 + i), copy.getObject(i));
                    }
                    assertTrue(v.toString().startsWith("timestamp(Europe/Berlin)["), v.toString());
                }
            }
            try (ColumnBuilder b = ColumnBuilder.create(DataType.TIMESTAMP, mem.pool(), mem.budget(), 1)) {
                assertNull(b.timeZone());
                b.appendObject(LocalDateTime.of(2024, 1, 2, 3, 4, 5, 6000));
                b.appendObject(7L);
                IllegalArgumentException inst = assertThrows(IllegalArgumentException.class,
                        () -> b.appendObject(Instant.EPOCH));
                assertTrue(inst.getMessage().contains("without a time zone"), inst.getMessage());
                try (ColumnVector v = b.build()) {
                    assertEquals(LocalDateTime.of(2024, 1, 2, 3, 4, 5, 6000), v.getObject(0));
                    assertEquals("1970-01-01 00:00:00.000007", v.format(1));
                }
            }
        });
    }

    private static NativeBuffer exported(ColumnVector v, int i, dev.spillway.memory.testing.LeakCheck.TestMemory mem) {
        long size = v.bufferByteSize(i);
        if (size == 0) {
            return null;
        }
        NativeBuffer b = mem.pool().allocate(mem.budget(), size);
        v.copyBuffer(i, b.segment());
        return b;
    }
}
