package dev.spillway.operators.eval;

import dev.spillway.memory.BooleanVector;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.Float64Vector;
import dev.spillway.memory.Int32Vector;
import dev.spillway.memory.Int64Vector;

/**
 * Typed reads independent of the vector class, for kernels. Each helper is small enough to be
 * inlined into a kernel's loop, where the class test is a predictable compare.
 */
final class Values {
    private Values() {
    }

    static long longAt(ColumnVector v, int i) {
        if (v instanceof Int64Vector a) {
            return a.get(i);
        }
        if (v instanceof Int32Vector a) {
            return a.get(i);
        }
        return ((BooleanVector) v).get(i) ? 1 : 0;
    }

    static double doubleAt(ColumnVector v, int i) {
        if (v instanceof Float64Vector a) {
            return a.get(i);
        }
        if (v instanceof Int64Vector a) {
            return a.get(i);
        }
        return ((Int32Vector) v).get(i);
    }

    /** Year of days since 1970-01-01, proleptic Gregorian (the civil-from-days method of H. Hinnant). */
    static int year(long days) {
        long z = days + 719_468;
        long era = Math.floorDiv(z, 146_097);
        long doe = z - era * 146_097;
        long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        return (int) (yoe + era * 400 + (mp >= 10 ? 1 : 0));
    }

    static int month(long days) {
        long z = days + 719_468;
        long doe = z - Math.floorDiv(z, 146_097) * 146_097;
        long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        return (int) (mp < 10 ? mp + 3 : mp - 9);
    }

    static int day(long days) {
        long z = days + 719_468;
        long doe = z - Math.floorDiv(z, 146_097) * 146_097;
        long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        return (int) (doy - (153 * mp + 2) / 5 + 1);
    }

    /** Days since 1970-01-01 of a proleptic Gregorian date (the days-from-civil method of H. Hinnant). */
    static long epochDay(long year, int month, int day) {
        long y = month <= 2 ? year - 1 : year;
        long era = Math.floorDiv(y, 400);
        long yoe = y - era * 400;
        long doy = (153L * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146_097 + doe - 719_468;
    }

    /** Number of days (28-31) of {@code month} in {@code year}. */
    static int lengthOfMonth(long year, int month) {
        return switch (month) {
            case 2 -> (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }
}
