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
}
