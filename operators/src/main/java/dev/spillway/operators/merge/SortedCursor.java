package dev.spillway.operators.merge;

import dev.spillway.memory.ColumnVector;
import dev.spillway.memory.DataType;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.Schema;
import dev.spillway.operators.sort.KeyEncoder;
import dev.spillway.operators.sort.SortSpec;
import dev.spillway.scheduler.TaskContext;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A row cursor over one {@link OrderedInput} whose rows are sorted ascending on some key columns.
 * Each morsel's keys are encoded once into normalized keys (the sort's {@link KeyEncoder}, over a
 * key-only view so that both inputs of a join share one encoder), and the morsel is checked to be
 * sorted: each row with no null key must not be smaller than the previous such row, across morsel
 * boundaries too. Rows with a null key are exempt from the check (they never match, and may sit
 * wherever the upstream sort put them).
 *
 * <p>Not thread-safe: used by one join under its lock.
 */
public final class SortedCursor implements AutoCloseable {
    /** What {@link #load} found. */
    public enum Status {
        /** A current row exists. */
        ROW,
        /** The input has nothing now; try again later. */
        NOT_READY,
        /** The input has ended. */
        END
    }

    private static final long NEG_ZERO = KeyEncoder.encodeDouble(-0.0);
    private static final long POS_ZERO = KeyEncoder.encodeDouble(0.0);

    private final String operator;
    private final String side;
    private final OrderedInput input;
    private final int[] keyColumns;
    private final List<String> keyNames;
    private final KeyEncoder encoder;
    private final int width;
    /** Slots holding float64 values (folded -0.0 onto 0.0). */
    private final int[] floatSlots;
    private final String sortedBecause;

    private Morsel morsel;
    private Morsel keys;
    private long[] encoded = new long[0];
    private boolean[] nullKey;
    private int pos;
    private long rowsBefore;
    private long rowsLoaded;
    /** The last non-null key seen (a one-row key view and its encoding), for the boundary check. */
    private Morsel lastKey;
    private final long[] lastEncoded;
    private boolean ended;

    /**
     * A cursor over {@code input}.
     *
     * @param operator      the join's name, for errors
     * @param side          "left" or "right", for errors
     * @param schema        the input's schema
     * @param keyColumns    the key positions in {@code schema}, most significant first
     * @param encoder       the shared encoder ({@link #encoderFor})
     * @param sortedBecause why the plan believes the input sorted, for errors
     */
    public SortedCursor(String operator, String side, OrderedInput input, Schema schema, int[] keyColumns, KeyEncoder encoder,
            String sortedBecause) {
        this.operator = operator;
        this.side = side;
        this.input = input;
        this.keyColumns = keyColumns.clone();
        this.keyNames = new ArrayList<>();
        for (int k : keyColumns) {
            keyNames.add(schema.field(k).name());
        }
        this.encoder = encoder;
        this.width = encoder.width();
        this.lastEncoded = new long[width];
        this.sortedBecause = sortedBecause;
        List<Integer> slots = new ArrayList<>();
        int w = 0;
        for (int k = 0; k < keyColumns.length; k++) {
            DataType t = schema.field(keyColumns[k]).type();
            if (t == DataType.FLOAT64) {
                slots.add(w + 1);
            }
            w += t == DataType.INT32 || t == DataType.DATE32 || t == DataType.BOOLEAN ? 1 : 2;
        }
        this.floatSlots = slots.stream().mapToInt(Integer::intValue).toArray();
    }

    /** An ascending, nulls-last encoder over the key columns of {@code schema} (used for both sides). */
    public static KeyEncoder encoderFor(Schema schema, int[] keyColumns) {
        Schema keySchema = new Schema(Arrays.stream(keyColumns).mapToObj(schema::field).toList());
        int n = keyColumns.length;
        int[] cols = new int[n];
        for (int k = 0; k < n; k++) {
            cols[k] = k;
        }
        return new KeyEncoder(new SortSpec(keySchema, cols, new boolean[n], new boolean[n], false));
    }

    /** Makes sure a current row exists, pulling (and checking) the next morsel when needed. */
    public Status load(TaskContext ctx) {
        while (morsel == null || pos >= morsel.rowCount()) {
            if (ended) {
                return Status.END;
            }
            release();
            Morsel m = input.pull(ctx);
            if (m == null) {
                if (input.isEnded()) {
                    ended = true;
                    return Status.END;
                }
                return Status.NOT_READY;
            }
            accept(m);
        }
        return Status.ROW;
    }

    /** What {@link #load} would find, without pulling: ROW, END, or NOT_READY when a pull is needed. */
    public Status peek() {
        if (morsel != null && pos < morsel.rowCount()) {
            return Status.ROW;
        }
        return ended ? Status.END : Status.NOT_READY;
    }

    private void accept(Morsel m) {
        morsel = m;
        keys = m.select(keyColumns);
        pos = 0;
        rowsBefore = rowsLoaded;
        rowsLoaded += m.rowCount();
        int rows = m.rowCount();
        if (encoded.length < rows * width) {
            encoded = new long[rows * width];
        }
        encoder.encode(keys, encoded, 0);
        for (int s : floatSlots) {
            for (int r = 0; r < rows; r++) {
                if (encoded[r * width + s] == NEG_ZERO) {
                    encoded[r * width + s] = POS_ZERO;
                }
            }
        }
        boolean anyNull = false;
        for (int k = 0; k < keyColumns.length; k++) {
            anyNull |= keys.column(k).hasNulls();
        }
        nullKey = null;
        if (anyNull) {
            nullKey = new boolean[rows];
            for (int k = 0; k < keyColumns.length; k++) {
                ColumnVector v = keys.column(k);
                for (int r = 0; r < rows; r++) {
                    nullKey[r] |= v.isNull(r);
                }
            }
        }
        checkSorted(rows);
    }

    /** One comparison per row: each non-null key against the previous one. */
    private void checkSorted(int rows) {
        int prev = -1;
        for (int r = 0; r < rows; r++) {
            if (nullKey != null && nullKey[r]) {
                continue;
            }
            int c = prev >= 0 ? encoder.compare(encoded, prev * width, keys, prev, encoded, r * width, keys, r)
                    : lastKey != null ? encoder.compare(lastEncoded, 0, lastKey, 0, encoded, r * width, keys, r) : -1;
            if (c > 0) {
                throw new UnsortedInputException(operator + ": the " + side + " input is not sorted by " + keyNames
                        + " ascending, as the plan assumes (" + sortedBecause + "): row " + (rowsBefore + r) + " has "
                        + describe(keys, r) + " after " + (prev >= 0 ? describe(keys, prev) : describe(lastKey, 0))
                        + "; sort the input with sort(...) or correct the setSorted(...) declaration", rowsBefore + r);
            }
            prev = r;
        }
        if (prev >= 0) {
            if (lastKey != null) {
                lastKey.close();
            }
            lastKey = keys.slice(prev, 1);
            System.arraycopy(encoded, prev * width, lastEncoded, 0, width);
        }
    }

    private String describe(Morsel keyView, int row) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < keyNames.size(); k++) {
            sb.append(k == 0 ? "" : ", ").append(keyNames.get(k)).append('=').append(keyView.column(k).format(row));
        }
        return sb.toString();
    }

    /** The current morsel (owned by the cursor). */
    public Morsel morsel() {
        return morsel;
    }

    /** The current morsel's key-only view (owned by the cursor). */
    public Morsel keys() {
        return keys;
    }

    /** The current row. */
    public int pos() {
        return pos;
    }

    /** Whether the current row has a null in some key column. */
    public boolean nullKey() {
        return nullKey != null && nullKey[pos];
    }

    /** Whether row {@code r} of the current morsel has a null in some key column. */
    public boolean nullKey(int r) {
        return nullKey != null && nullKey[r];
    }

    /** Moves to the next row. */
    public void advance() {
        pos++;
    }

    /** Moves to row {@code row} of the current morsel (at most its row count). */
    public void skipTo(int row) {
        pos = row;
    }

    /** Compares this cursor's current row with {@code other}'s (neither may have a null key). */
    public int compare(SortedCursor other) {
        return encoder.compare(encoded, pos * width, keys, pos, other.encoded, other.pos * width, other.keys, other.pos);
    }

    /** A copy of the current row's key, to compare later rows (of either input) with. */
    public KeyRef keyRef() {
        return new KeyRef(keys.slice(pos, 1), Arrays.copyOfRange(encoded, pos * width, (pos + 1) * width));
    }

    /** Compares row {@code r} of the current morsel with {@code ref} (the row must not have a null key). */
    public int compare(int r, KeyRef ref) {
        return encoder.compare(encoded, r * width, keys, r, ref.encoded(), 0, ref.keys(), 0);
    }

    /**
     * The end of the rows from the current one on that equal {@code ref} in the current morsel (the
     * current row if it does not).
     */
    public int endOfRun(KeyRef ref) {
        int r = pos;
        int rows = morsel.rowCount();
        while (r < rows && !nullKey(r) && compare(r, ref) == 0) {
            r++;
        }
        return r;
    }

    private void release() {
        if (morsel != null) {
            morsel.close();
            keys.close();
            morsel = null;
            keys = null;
        }
    }

    @Override
    public void close() {
        release();
        if (lastKey != null) {
            lastKey.close();
            lastKey = null;
        }
        input.close();
    }

    /**
     * A key captured from a row: a one-row key-only view (retaining that morsel's key buffers)
     * and its normalized encoding.
     */
    public record KeyRef(Morsel keys, long[] encoded) implements AutoCloseable {
        @Override
        public void close() {
            keys.close();
        }
    }
}
