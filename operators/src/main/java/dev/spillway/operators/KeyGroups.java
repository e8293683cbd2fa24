package dev.spillway.operators;

import dev.spillway.memory.BooleanVector;
import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.Decimal128Vector;
import dev.spillway.memory.Float64Vector;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.Int32Vector;
import dev.spillway.memory.Int64Vector;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Utf8Vector;

import java.util.Arrays;

/**
 * Groups the rows of a morsel by the values of some columns without boxing a value: each row's
 * key columns are hashed ({@link Hashing}), the hash is looked up in a small open-addressing table
 * of the groups seen so far, and a hit is confirmed by comparing the row with the group's first
 * row. Groups are numbered in order of first appearance. Values are equal as
 * {@link java.util.Objects#equals} says of their boxed forms (nulls equal each other; doubles
 * compare their bits, so NaN equals NaN and -0.0 differs from 0.0).
 *
 * <p>The arrays are reused from morsel to morsel and grow to the largest morsel and the most
 * groups seen. Not thread-safe.
 */
final class KeyGroups {
    private final int[] columns;
    private long[] hashes = new long[0];
    private int[] rowGroup = new int[0];
    private int[] firstRow = new int[16];
    private long[] groupHash = new long[16];
    /** Group per slot, -1 when free; twice as many slots as groups at least. */
    private int[] slots = new int[64];
    private int groups;

    /** Groups by the columns at {@code columns} of the morsels given. */
    KeyGroups(int[] columns) {
        this.columns = columns.clone();
        Arrays.fill(slots, -1);
    }

    /** Groups the rows of {@code m}; returns the number of groups. */
    int group(Morsel m) {
        int n = m.rowCount();
        if (hashes.length < n) {
            hashes = new long[n];
            rowGroup = new int[n];
        }
        if (groups > 0) {
            Arrays.fill(slots, -1);
            groups = 0;
        }
        for (int k = 0; k < columns.length; k++) {
            Hashing.hashColumn(m.column(columns[k]), hashes, k > 0);
        }
        int last = -1;
        for (int r = 0; r < n; r++) {
            long h = hashes[r];
            // Rows often come in runs of one key: try the previous row's group first.
            if (last < 0 || groupHash[last] != h || !sameKey(m, r, firstRow[last])) {
                last = find(m, r, h);
            }
            rowGroup[r] = last;
        }
        return groups;
    }

    /** The group of each row of the last morsel grouped (the first {@code rowCount()} entries). */
    int[] rowGroups() {
        return rowGroup;
    }

    /** The first row of group {@code g} in the last morsel grouped. */
    int firstRow(int g) {
        return firstRow[g];
    }

    private int find(Morsel m, int r, long h) {
        int mask = slots.length - 1;
        int s = (int) (h ^ (h >>> 32)) & mask;
        while (true) {
            int g = slots[s];
            if (g < 0) {
                return add(s, r, h);
            }
            if (groupHash[g] == h && sameKey(m, r, firstRow[g])) {
                return g;
            }
            s = (s + 1) & mask;
        }
    }

    private int add(int slot, int r, long h) {
        int g = groups++;
        if (g == firstRow.length) {
            firstRow = Arrays.copyOf(firstRow, 2 * g);
            groupHash = Arrays.copyOf(groupHash, 2 * g);
        }
        firstRow[g] = r;
        groupHash[g] = h;
        slots[slot] = g;
        if (2 * groups > slots.length) {
            rehash(2 * slots.length);
        }
        return g;
    }

    private void rehash(int capacity) {
        slots = new int[capacity];
        Arrays.fill(slots, -1);
        int mask = capacity - 1;
        for (int g = 0; g < groups; g++) {
            long h = groupHash[g];
            int s = (int) (h ^ (h >>> 32)) & mask;
            while (slots[s] >= 0) {
                s = (s + 1) & mask;
            }
            slots[s] = g;
        }
    }

    private boolean sameKey(Morsel m, int a, int b) {
        for (int c : columns) {
            if (!sameValue(m.column(c), a, b)) {
                return false;
            }
        }
        return true;
    }

    private static boolean sameValue(ColumnVector v, int a, int b) {
        boolean an = v.isNull(a);
        boolean bn = v.isNull(b);
        if (an || bn) {
            return an && bn;
        }
        return switch (v) {
            case Int64Vector x -> x.get(a) == x.get(b);
            case Int32Vector x -> x.get(a) == x.get(b);
            case Float64Vector x -> Double.doubleToLongBits(x.get(a)) == Double.doubleToLongBits(x.get(b));
            case BooleanVector x -> x.get(a) == x.get(b);
            case Utf8Vector x -> x.equalsBytes(b, x.dataSegment(), x.dataOffset(a), x.byteLength(a));
            case Decimal128Vector x -> x.valueEquals(a, x, b);
        };
    }
}
