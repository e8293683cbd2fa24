package dev.spillway.spill;

/**
 * The result of {@link PartitionedStore#repartition}: the child store (owned by the caller, who
 * closes it) and how many rows landed in each of its partitions.
 *
 * @param store the child store, partitioned on the next hash bits
 * @param rows  rows per child partition (the array is the caller's)
 */
public record Repartition(PartitionedStore store, long[] rows) {
    /** Share of the rows above which one sub-partition counts as skewed (dominated by few keys). */
    public static final double SKEW_SHARE = 0.9;

    /** Rows over all sub-partitions. */
    public long totalRows() {
        long n = 0;
        for (long r : rows) {
            n += r;
        }
        return n;
    }

    /** The sub-partition with the most rows (the lowest such number on a tie). */
    public int largest() {
        int best = 0;
        for (int s = 1; s < rows.length; s++) {
            best = rows[s] > rows[best] ? s : best;
        }
        return best;
    }

    /**
     * Whether one sub-partition holds more than {@link #SKEW_SHARE} of at least two rows: splitting
     * further on more hash bits will not help, since the rows share few keys.
     */
    public boolean skewed() {
        long total = totalRows();
        return total >= 2 && rows[largest()] > SKEW_SHARE * total;
    }
}
