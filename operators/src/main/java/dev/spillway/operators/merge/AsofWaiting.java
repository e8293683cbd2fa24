package dev.spillway.operators.merge;

import dev.spillway.memory.Morsel;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * The left rows of an {@link AsofJoin} (FORWARD, NEAREST) that wait, per group, for the next
 * right row of their group, and the rules that settle them: a right row of the group answers
 * (FORWARD) or improves (NEAREST) them; a row is settled early once the right input moved past
 * its tolerance or, for NEAREST, past its backward candidate's distance; all are settled at the
 * end of the right input. Not thread-safe: the join serialises.
 */
final class AsofWaiting {
    private static final long NONE = AsofRightRows.NONE;
    private static final byte SETTLED = AsofLeftChunk.SETTLED;
    private static final byte WAITING = AsofLeftChunk.WAITING;
    private static final byte HAS_FORWARD = AsofLeftChunk.HAS_FORWARD;

    private final AsofStrategy strategy;
    private final AsofValues values;
    private final AsofRightRows rows;
    private final SortedCursor right;
    private final Map<Object, ArrayDeque<AsofLeftChunk.Waiting>> waiting = new HashMap<>();
    private long count;

    AsofWaiting(AsofStrategy strategy, AsofValues values, AsofRightRows rows, SortedCursor right) {
        this.strategy = strategy;
        this.values = values;
        this.rows = rows;
        this.right = right;
    }

    /** Rows waiting now. */
    long count() {
        return count;
    }

    /** Whether rows of group {@code g} wait. */
    boolean waitsFor(Object g) {
        return waiting.containsKey(g);
    }

    /** A right row of the group arrived: it answers or improves every waiting row of the group. */
    void resolve(Object g, long ref, Morsel m, int row) {
        ArrayDeque<AsofLeftChunk.Waiting> w = waiting.get(g);
        int n = w.size();
        for (int i = 0; i < n; i++) {
            AsofLeftChunk.Waiting p = w.poll();
            AsofLeftChunk c = p.chunk();
            byte st = c.state(p.row());
            if (st == SETTLED) {
                continue;
            }
            if (strategy == AsofStrategy.FORWARD) {
                settle(c, p.row(), values.withinTolerance(c, p.row(), m, row) ? ref : NONE);
            } else if (st == WAITING || values.sameOn(c.match(p.row()), m, row)) {
                c.setMatch(p.row(), ref);
                c.setState(p.row(), HAS_FORWARD);
                w.add(p);
            } else {
                settleNearest(c, p.row());
            }
        }
        if (w.isEmpty()) {
            waiting.remove(g);
        }
    }

    /** Left row {@code row} of {@code c}, of group {@code g}, waits for a right row of its group. */
    void add(AsofLeftChunk c, int row, Object g) {
        c.setState(row, WAITING);
        waiting.computeIfAbsent(g, x -> new ArrayDeque<>()).add(new AsofLeftChunk.Waiting(c, row));
        count++;
    }

    /** Settles a row with right row {@code ref} (or {@link AsofRightRows#NONE}). */
    void settle(AsofLeftChunk c, int row, long ref) {
        if (c.state(row) != SETTLED) {
            count--;
        }
        c.setState(row, SETTLED);
        c.setMatch(row, ref);
    }

    /** Picks the nearer of the backward and forward candidates (the forward one on a tie). */
    void settleNearest(AsofLeftChunk c, int row) {
        long b = c.back(row);
        long f = c.state(row) == HAS_FORWARD ? c.match(row) : NONE;
        boolean bOk = b != NONE && values.withinTolerance(c, row, rows.stored(b), AsofRightRows.rowOf(b));
        boolean fOk = f != NONE && values.withinTolerance(c, row, rows.stored(f), AsofRightRows.rowOf(f));
        long pick = NONE;
        if (bOk && fOk) {
            pick = values.compareDistance(c, row, f, b) <= 0 ? f : b;
        } else if (fOk) {
            pick = f;
        } else if (bOk) {
            pick = b;
        }
        settle(c, row, pick);
    }

    /**
     * Settles a waiting row at the head of the queue when no later right row can change its
     * answer: the right input ended, or it moved past the tolerance, or (NEAREST) past the
     * backward candidate's distance, or past the forward candidate's value.
     */
    boolean trySettle(AsofLeftChunk c, int row) {
        SortedCursor.Status rs = right.peek();
        if (rs == SortedCursor.Status.NOT_READY) {
            return false;
        }
        boolean rightEnded = rs == SortedCursor.Status.END;
        if (strategy == AsofStrategy.FORWARD) {
            if (rightEnded || (values.hasTolerance() && !right.nullKey() && !values.withinTolerance(c, row, right.morsel(), right.pos()))) {
                settle(c, row, NONE);
                return true;
            }
            return false;
        }
        if (rightEnded) {
            settleNearest(c, row);
            return true;
        }
        if (right.nullKey()) {
            return false;
        }
        Morsel rm = right.morsel();
        int rr = right.pos();
        long f = c.state(row) == HAS_FORWARD ? c.match(row) : NONE;
        if (f != NONE) {
            if (!values.sameOn(f, rm, rr)) {
                settleNearest(c, row);
                return true;
            }
            return false;
        }
        // No forward candidate yet: a later right row would be at least as far as the current one.
        boolean pastTolerance = values.hasTolerance() && !values.withinTolerance(c, row, rm, rr);
        long b = c.back(row);
        boolean pastBackward = b != NONE && values.distanceGreater(c, row, rm, rr, b);
        if (pastTolerance || pastBackward) {
            settleNearest(c, row);
            return true;
        }
        return false;
    }

    /** The right input ended: settles every row still waiting in {@code queue}. */
    void settleAllAtEnd(Iterable<AsofLeftChunk> queue) {
        for (AsofLeftChunk c : queue) {
            for (int i = c.emitted; i < c.added; i++) {
                if (c.state(i) != SETTLED) {
                    if (strategy == AsofStrategy.NEAREST) {
                        settleNearest(c, i);
                    } else {
                        settle(c, i, NONE);
                    }
                }
            }
        }
        waiting.clear();
    }
}
