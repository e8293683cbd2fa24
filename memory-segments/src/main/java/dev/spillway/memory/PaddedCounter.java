package dev.spillway.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A {@code long} counter with a high-water mark, alone on its cache line(s).
 *
 * <p>Several cores compare-and-set {@link #value} on every reservation, so it must not share a
 * line with unrelated fields (false sharing). The padding is inherited, Agrona style, because the
 * JVM keeps superclass fields before subclass fields. {@code peak} rides on the same line: it is
 * written only when a reservation raises the high-water mark.
 *
 * <p>Memory ordering: {@link #compareAndSet} is a volatile read-modify-write and pairs with
 * {@link #getAcquire}; {@link #getPlain} is for statistics only.
 */
final class PaddedCounter extends PaddedCounterFields {
    long p17, p18, p19, p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p30, p31, p32;

    private static final VarHandle VALUE;
    private static final VarHandle PEAK;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            VALUE = lookup.findVarHandle(PaddedCounterFields.class, "value", long.class);
            PEAK = lookup.findVarHandle(PaddedCounterFields.class, "peak", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    long getAcquire() {
        return (long) VALUE.getAcquire(this);
    }

    long getPlain() {
        return (long) VALUE.get(this);
    }

    boolean compareAndSet(long expected, long update) {
        return VALUE.compareAndSet(this, expected, update);
    }

    long getAndAdd(long delta) {
        return (long) VALUE.getAndAdd(this, delta);
    }

    long peak() {
        return (long) PEAK.getAcquire(this);
    }

    /** Raises the high-water mark to {@code candidate} if it is higher; lock-free. */
    void raisePeak(long candidate) {
        long current = (long) PEAK.getAcquire(this);
        while (candidate > current) {
            if (PEAK.compareAndSet(this, current, candidate)) {
                return;
            }
            current = (long) PEAK.getAcquire(this);
        }
    }
}
