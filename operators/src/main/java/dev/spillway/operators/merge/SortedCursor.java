package dev.spillway.operators.merge;

import dev.spillway.errors.UnsortedInputException;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.operators.sort.KeyEncoder;
import dev.spillway.operators.sort.ScratchBuffer;
import dev.spillway.operators.sort.SortSpec;
import dev.spillway.scheduler.TaskContext;

import java.lang.foreign.MemorySegment;
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
 * <p>The encoded keys of the current morsel are in a native {@link ScratchBuffer} charged to the
 * join's budget, sized by the largest morsel seen; whether a row has a null key is read from the
 * key columns' validity, so nothing on the heap grows with a morsel's rows.
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

    private final ScratchBuffer keyBuffer;
    private Morsel morsel;
    private Morsel keys;
    /** The current morsel's keys, row {@code r} at word {@code r * width}. */
    private MemorySegment encoded = MemorySegment.NULL;
    /** Key columns of the current morsel that hold nulls (empty when none does). */
    private ColumnVector[] nullable = new ColumnVector[0];
    private int pos;
    private long rowsBefore;
    private long rowsLoaded;
    /** The last non-null key seen (a one-row key view and its encoding), for the boundary check. */
    private Morsel lastKey;
    private final MemorySegment lastEncoded;
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
     * @param pool          the pool of the encoded keys' buffer
     * @param budget        the budget it is charged to (the join's)
     */
    public SortedCursor(String operator, String side, OrderedInput input, Schema schema, int[] keyColumns, KeyEncoder encoder,
            String sortedBecause, BlockPool pool, MemoryBudget budget) {
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
        this.lastEncoded = MemorySegment.ofArray(new long[width]);
        this.keyBuffer = new ScratchBuffer(pool, budget);
        this.sortedBecause = sortedBecause;
        List<Integer> slots = new ArrayList<>();
        int w = 0;
        for (int k = 0; k < keyColumns.length; k++) {
            DataType t = schema.field(keyColumns[k]).type();
            if (t == DataType.FLOAT64) {
                slots.add(w + 1);
            }
            w += KeyEncoder.slots(t);
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
        encoded = keyBuffer.ensure(encoder.bytesFor(rows));
        encoder.encode(keys, encoded, 0);
        for (int s : floatSlots) {
            for (long at = s, end = (long) rows * width; at < end; at += width) {
                if (encoded.getAtIndex(KeyEncoder.WORD, at) == NEG_ZERO) {
                    encoded.setAtIndex(KeyEncoder.WORD, at, POS_ZERO);
                }
            }
        }
        int withNulls = 0;
        for (int k = 0; k < keyColumns.length; k++) {
            withNulls += keys.column(k).hasNulls() ? 1 : 0;
        }
        if (withNulls != nullable.length) {
            nullable = new ColumnVector[withNulls];
        }
        for (int k = 0, i = 0; k < keyColumns.length; k++) {
            if (keys.column(k).hasNulls()) {
                nullable[i++] = keys.column(k);
            }
        }
        checkSorted(rows);
    }

    /** One comparison per row: each non-null key against the previous one. */
    private void checkSorted(int rows) {
        int prev = -1;
        for (int r = 0; r < rows; r++) {
            if (nullKey(r)) {
                continue;
            }
            int c = prev >= 0 ? encoder.compare(encoded, (long) prev * width, keys, prev, encoded, (long) r * width, keys, r)
                    : lastKey != null ? encoder.compare(lastEncoded, 0, lastKey, 0, encoded, (long) r * width, keys, r) : -1;
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
            MemorySegment.copy(encoded, KeyEncoder.WORD, encoder.bytesFor(prev), lastEncoded, KeyEncoder.WORD, 0, width);
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
        return nullKey(pos);
    }

    /** Whether row {@code r} of the current morsel has a null in some key column. */
    public boolean nullKey(int r) {
        for (ColumnVector v : nullable) {
            if (v.isNull(r)) {
                return true;
            }
        }
        return false;
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
        return encoder.compare(encoded, (long) pos * width, keys, pos, other.encoded, (long) other.pos * width, other.keys,
                other.pos);
    }

    /** A copy of the current row's key, to compare later rows (of either input) with. */
    public KeyRef keyRef() {
        MemorySegment copy = MemorySegment.ofArray(new long[width]);
        MemorySegment.copy(encoded, KeyEncoder.WORD, encoder.bytesFor(pos), copy, KeyEncoder.WORD, 0, width);
        return new KeyRef(keys.slice(pos, 1), copy);
    }

    /** Compares row {@code r} of the current morsel with {@code ref} (the row must not have a null key). */
    public int compare(int r, KeyRef ref) {
        return encoder.compare(encoded, (long) r * width, keys, r, ref.encoded(), 0, ref.keys(), 0);
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
        encoded = MemorySegment.NULL;
        keyBuffer.close();
        input.close();
    }

    /**
     * A key captured from a row: a one-row key-only view (retaining that morsel's key buffers)
     * and its normalized encoding (one key's words, on the heap).
     */
    public record KeyRef(Morsel keys, MemorySegment encoded) implements AutoCloseable {
        @Override
        public void close() {
            keys.close();
        }
    }
}
