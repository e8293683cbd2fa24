package dev.spillway.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Text, calendar and zone arithmetic of {@link DataType#TIMESTAMP} values: signed microseconds
 * since 1970-01-01T00:00 (UTC for a column with a time zone, the naive wall clock for one
 * without).
 *
 * <p>Accepted text ({@link #FORMS}): {@code yyyy-MM-dd}, optionally followed by a space or
 * {@code T} and {@code HH:mm}, {@code HH:mm:ss} or {@code HH:mm:ss.f} with 1 to 9 fractional digits
 * (digits past the microsecond are dropped), then, for a column with a time zone only, an offset
 * {@code Z}, {@code ±hh}, {@code ±hhmm} or {@code ±hh:mm}. Text without an offset in a zoned column
 * is a wall-clock time in that zone (a time skipped by a daylight-saving change moves forward by
 * the gap, as {@link ZonedDateTime#ofLocal} does). Printed text is
 * {@code yyyy-MM-dd HH:mm:ss[.ffffff]} with trailing fractional zeros dropped, plus the offset in
 * force for a zoned value; it parses back to the same value.
 */
public final class Timestamps {
    /** Microseconds in a second. */
    public static final long MICROS_PER_SECOND = 1_000_000L;
    /** Microseconds in a day. */
    public static final long MICROS_PER_DAY = 86_400L * MICROS_PER_SECOND;
    /** The text is a timestamp; the result holds it. */
    public static final int OK = 0;
    /** The text is not a timestamp. */
    public static final int NOT_A_TIMESTAMP = 1;
    /** The text has an offset but the column has no time zone. */
    public static final int OFFSET_WITHOUT_ZONE = 2;
    /** The accepted forms, for error messages. */
    public static final String FORMS = "yyyy-MM-dd[( |T)HH:mm[:ss[.fffffffff]]], with an offset Z, +hh, +hhmm or +hh:mm "
            + "only in a column with a time zone";

    private static final ConcurrentHashMap<String, ZoneId> ZONES = new ConcurrentHashMap<>();

    private Timestamps() {
    }

    // ------------------------------------------------------------------ zones

    /**
     * The zone named {@code id}, cached.
     *
     * @param where what names it, for the message (e.g. {@code column 'ts'})
     * @throws IllegalArgumentException when the id is not a known region or offset
     */
    public static ZoneId zone(String id, String where) {
        ZoneId z = ZONES.get(id);
        if (z != null) {
            return z;
        }
        try {
            z = ZoneId.of(id);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("unknown time zone '" + id + "' of " + where
                    + ": use a region such as Europe/Berlin, UTC, or an offset such as +01:00", e);
        }
        ZONES.putIfAbsent(id, z);
        return z;
    }

    /** The zone of a known-valid id (already checked by {@link Field}), or null for null. */
    public static ZoneId zoneOrNull(String id) {
        return id == null ? null : zone(id, "a timestamp");
    }

    // ------------------------------------------------------------------ parsing

    /**
     * Parses bytes {@code [s, e)} of {@code seg}, writing the value into {@code out[0]} when the
     * result is {@link #OK}.
     *
     * @param zone the column's time zone, or null for a naive column
     * @return {@link #OK}, {@link #NOT_A_TIMESTAMP} or {@link #OFFSET_WITHOUT_ZONE}
     */
    public static int parse(MemorySegment seg, long s, long e, ZoneId zone, long[] out) {
        long p = s;
        int year = digits(seg, p, e, 4);
        if (year < 0 || !is(seg, p + 4, e, '-')) {
            return NOT_A_TIMESTAMP;
        }
        int month = digits(seg, p + 5, e, 2);
        if (month < 1 || month > 12 || !is(seg, p + 7, e, '-')) {
            return NOT_A_TIMESTAMP;
        }
        int day = digits(seg, p + 8, e, 2);
        if (day < 1 || day > daysInMonth(year, month)) {
            return NOT_A_TIMESTAMP;
        }
        p += 10;
        long tod = 0;
        if (p < e && (is(seg, p, e, ' ') || is(seg, p, e, 'T'))) {
            int hour = digits(seg, p + 1, e, 2);
            int minute = digits(seg, p + 4, e, 2);
            if (hour < 0 || hour > 23 || !is(seg, p + 3, e, ':') || minute < 0 || minute > 59) {
                return NOT_A_TIMESTAMP;
            }
            p += 6;
            int second = 0;
            long frac = 0;
            if (is(seg, p, e, ':')) {
                second = digits(seg, p + 1, e, 2);
                if (second < 0 || second > 59) {
                    return NOT_A_TIMESTAMP;
                }
                p += 3;
                if (is(seg, p, e, '.')) {
                    p++;
                    int n = 0;
                    long scale = 100_000;
                    while (p < e && isDigit(seg.get(ValueLayout.JAVA_BYTE, p))) {
                        if (++n > 9) {
                            return NOT_A_TIMESTAMP;
                        }
                        frac += (seg.get(ValueLayout.JAVA_BYTE, p) - '0') * scale;
                        scale /= 10;
                        p++;
                    }
                    if (n == 0) {
                        return NOT_A_TIMESTAMP;
                    }
                }
            }
            tod = ((hour * 60L + minute) * 60 + second) * MICROS_PER_SECOND + frac;
        }
        long local = daysFromCivil(year, month, day) * MICROS_PER_DAY + tod;
        if (p == e) {
            out[0] = zone == null ? local : fromLocal(local, zone);
            return OK;
        }
        int offsetSeconds;
        byte b = seg.get(ValueLayout.JAVA_BYTE, p);
        if (b == 'Z' && p + 1 == e) {
            offsetSeconds = 0;
        } else if (b == '+' || b == '-') {
            int hh = digits(seg, p + 1, e, 2);
            long q = p + 3;
            int mm = 0;
            if (q < e) {
                q += is(seg, q, e, ':') ? 1 : 0;
                mm = digits(seg, q, e, 2);
                q += 2;
            }
            if (hh < 0 || hh > 18 || mm < 0 || mm > 59 || q != e) {
                return NOT_A_TIMESTAMP;
            }
            offsetSeconds = (b == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
        } else {
            return NOT_A_TIMESTAMP;
        }
        if (zone == null) {
            return OFFSET_WITHOUT_ZONE;
        }
        out[0] = local - offsetSeconds * MICROS_PER_SECOND;
        return OK;
    }

    /**
     * Parses {@code text} (see the class comment).
     *
     * @param zone the column's time zone, or null for a naive column
     * @throws IllegalArgumentException naming the text and the accepted forms
     */
    public static long parse(String text, ZoneId zone) {
        byte[] bytes = text.strip().getBytes(StandardCharsets.UTF_8);
        long[] out = new long[1];
        int status = parse(MemorySegment.ofArray(bytes), 0, bytes.length, zone, out);
        return switch (status) {
            case OK -> out[0];
            case OFFSET_WITHOUT_ZONE -> throw new IllegalArgumentException("'" + text + "' has a UTC offset, but a timestamp "
                    + "without a time zone cannot hold one (drop the offset, or use a timestamp with a time zone)");
            default -> throw new IllegalArgumentException("'" + text + "' is not a timestamp: expected " + FORMS);
        };
    }

    /** Whether the text is a timestamp of either kind; {@code offsets[0]} is set when it carries an offset. */
    public static boolean looksLike(MemorySegment seg, long s, long e, boolean[] offset) {
        long[] out = new long[1];
        int naive = parse(seg, s, e, null, out);
        offset[0] = naive == OFFSET_WITHOUT_ZONE;
        return naive != NOT_A_TIMESTAMP;
    }

    private static boolean is(MemorySegment seg, long p, long e, char c) {
        return p < e && seg.get(ValueLayout.JAVA_BYTE, p) == c;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** The value of exactly {@code n} digits at {@code p}, or -1. */
    private static int digits(MemorySegment seg, long p, long e, int n) {
        if (p + n > e) {
            return -1;
        }
        int v = 0;
        for (int i = 0; i < n; i++) {
            byte b = seg.get(ValueLayout.JAVA_BYTE, p + i);
            if (!isDigit(b)) {
                return -1;
            }
            v = v * 10 + (b - '0');
        }
        return v;
    }

    // ------------------------------------------------------------------ printing

    /** The text of {@code micros}: {@code yyyy-MM-dd HH:mm:ss[.ffffff]}, plus the offset in force for a zoned value. */
    public static String format(long micros, ZoneId zone) {
        StringBuilder sb = new StringBuilder(32);
        int offset = zone == null ? 0 : offsetSeconds(micros, zone);
        long local = micros + offset * MICROS_PER_SECOND;
        long days = Math.floorDiv(local, MICROS_PER_DAY);
        long tod = Math.floorMod(local, MICROS_PER_DAY);
        sb.append(LocalDate.ofEpochDay(days)).append(' ');
        long secs = tod / MICROS_PER_SECOND;
        two(sb, (int) (secs / 3600)).append(':');
        two(sb, (int) (secs / 60 % 60)).append(':');
        two(sb, (int) (secs % 60));
        int frac = (int) (tod % MICROS_PER_SECOND);
        if (frac != 0) {
            String f = Integer.toString(1_000_000 + frac).substring(1);
            int end = f.length();
            while (f.charAt(end - 1) == '0') {
                end--;
            }
            sb.append('.').append(f, 0, end);
        }
        if (zone != null) {
            int a = Math.abs(offset);
            sb.append(offset < 0 ? '-' : '+');
            two(sb, a / 3600).append(':');
            two(sb, a / 60 % 60);
            if (a % 60 != 0) {
                two(sb.append(':'), a % 60);
            }
        }
        return sb.toString();
    }

    private static StringBuilder two(StringBuilder sb, int v) {
        return sb.append((char) ('0' + v / 10)).append((char) ('0' + v % 10));
    }

    // ------------------------------------------------------------------ conversions

    /** The naive value of a local date-time (sub-microsecond digits dropped). */
    public static long ofLocal(LocalDateTime t) {
        return Math.addExact(Math.multiplyExact(t.toLocalDate().toEpochDay(), MICROS_PER_DAY), t.toLocalTime().toNanoOfDay() / 1000);
    }

    /** The zoned value of an instant (sub-microsecond digits dropped). */
    public static long ofInstant(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), MICROS_PER_SECOND), t.getNano() / 1000);
    }

    /** The local date-time of a naive value. */
    public static LocalDateTime toLocal(long micros) {
        return LocalDateTime.ofEpochSecond(Math.floorDiv(micros, MICROS_PER_SECOND),
                (int) Math.floorMod(micros, MICROS_PER_SECOND) * 1000, ZoneOffset.UTC);
    }

    /** The instant of a zoned value. */
    public static Instant toInstant(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, MICROS_PER_SECOND), Math.floorMod(micros, MICROS_PER_SECOND) * 1000);
    }

    /** The offset from UTC in seconds in force in {@code zone} at instant {@code micros}. */
    public static int offsetSeconds(long micros, ZoneId zone) {
        if (zone instanceof ZoneOffset o) {
            return o.getTotalSeconds();
        }
        return zone.getRules().getOffset(Instant.ofEpochSecond(Math.floorDiv(micros, MICROS_PER_SECOND))).getTotalSeconds();
    }

    /** The wall-clock value of {@code micros}: itself for a naive value (null zone), else shifted into {@code zone}. */
    public static long toLocal(long micros, ZoneId zone) {
        return zone == null ? micros : micros + offsetSeconds(micros, zone) * MICROS_PER_SECOND;
    }

    /**
     * The instant of wall-clock value {@code local} in {@code zone} (itself for a null zone); a time
     * in a daylight-saving gap moves forward by the gap, an ambiguous one takes the earlier offset.
     */
    public static long fromLocal(long local, ZoneId zone) {
        if (zone == null) {
            return local;
        }
        if (zone instanceof ZoneOffset o) {
            return local - o.getTotalSeconds() * MICROS_PER_SECOND;
        }
        ZonedDateTime z = ZonedDateTime.ofLocal(toLocal(local), zone, null);
        return ofInstant(z.toInstant());
    }

    // ------------------------------------------------------------------ calendar

    /** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days-from-civil). */
    public static long daysFromCivil(long year, int month, int day) {
        long y = month <= 2 ? year - 1 : year;
        long era = Math.floorDiv(y, 400);
        long yoe = y - era * 400;
        long doy = (153L * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
    }

    /**
     * The civil date of day {@code days} since the epoch packed as {@code year * 10000 + month * 100 + day}
     * (Hinnant's civil-from-days).
     */
    public static long civilFromDays(long days) {
        long z = days + 719468;
        long era = Math.floorDiv(z, 146097);
        long doe = z - era * 146097;
        long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        long d = doy - (153 * mp + 2) / 5 + 1;
        long m = mp < 10 ? mp + 3 : mp - 9;
        long y = yoe + era * 400 + (m <= 2 ? 1 : 0);
        return y * 10000 + m * 100 + d;
    }

    /** The year of a packed {@link #civilFromDays} date. */
    public static long civilYear(long civil) {
        return Math.floorDiv(civil, 10000);
    }

    /** The month (1 to 12) of a packed {@link #civilFromDays} date. */
    public static int civilMonth(long civil) {
        return Math.floorMod(Math.floorDiv(civil, 100), 100);
    }

    /** The day of the month of a packed {@link #civilFromDays} date. */
    public static int civilDay(long civil) {
        return Math.floorMod(civil, 100);
    }

    /** Days in {@code month} of {@code year}. */
    public static int daysInMonth(long year, int month) {
        return switch (month) {
            case 2 -> (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }

    /**
     * {@code micros} plus {@code months} calendar months in its wall clock, the day clamped to the
     * end of a shorter month (Jan 31 + 1 month = Feb 28 or 29); the time of day is kept.
     *
     * @throws ArithmeticException when the result leaves the range of int64 microseconds
     */
    public static long plusMonths(long micros, long months, ZoneId zone) {
        if (months == 0) {
            return micros;
        }
        return fromLocal(plusMonthsLocal(toLocal(micros, zone), months), zone);
    }

    /**
     * Wall-clock microseconds {@code local} plus {@code months} calendar months, the day clamped to
     * the end of a shorter month; the time of day is kept. No zone is applied, so a caller adding
     * months and days resolves the wall clock once, after both (a month step landing in a
     * daylight-saving gap must not shift the hour before the days are added).
     *
     * @throws ArithmeticException when the result leaves the range of int64 microseconds
     */
    public static long plusMonthsLocal(long local, long months) {
        if (months == 0) {
            return local;
        }
        long days = Math.floorDiv(local, MICROS_PER_DAY);
        long tod = Math.floorMod(local, MICROS_PER_DAY);
        long civil = civilFromDays(days);
        long total = Math.addExact(civilYear(civil) * 12 + (civilMonth(civil) - 1), months);
        long year = Math.floorDiv(total, 12);
        int month = Math.floorMod(total, 12) + 1;
        int day = Math.min(civilDay(civil), daysInMonth(year, month));
        return Math.addExact(Math.multiplyExact(daysFromCivil(year, month, day), MICROS_PER_DAY), tod);
    }
}
