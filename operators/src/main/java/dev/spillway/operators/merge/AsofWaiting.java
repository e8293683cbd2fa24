package dev.spillway.operators.merge;

import dev.spillway.options.AsofStrategy;

import dev.spillway.memory.Morsel;
import dev.spillway.operators.KeyTable;

/**
 * The left rows of an {@link AsofJoin} (FORWARD, NEAREST) that wait, per group, for the next
 * right row of their group, and the rules that settle them: a right row of the group answers
 * (FORWARD) or improves (NEAREST) them; a row is settled early once the right input moved past
 * its tolerance or, for NEAREST, past its backward candidate's distance; all are settled at the
 * end of the right input.
 *
 * <p>Each group's waiting rows form a singly linked list in left order, off the heap: the head and
 * tail are words of the group in the join's {@link KeyTable} (left refs, {@link AsofLeftChunk#ref}),
 * each row's link and group id sit in its chunk's native answers. A list holds only rows not yet
 * settled, so every chunk it reaches is still in the join's queue: a row leaves its list when it
 * settles. The row the join settles at the head of its output is the oldest unsettled row of all,
 * hence the head of its group's list, and leaves it in constant time; a right row of the group
 * walks the list once, unlinking the rows it settles. Not thread-safe: the join serialises.
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
    private final AsofLeftQueue queue;
    private final KeyTable groups;
    private final int headWord;
    private final int tailWord;
    private long count;

    /**
     * The waiting rows of a join whose groups are {@code groups}, where words {@code headWord} and
     * {@code tailWord} of a group (initially {@link AsofRightRows#NONE}) hold its list's ends.
     */
    AsofWaiting(AsofStrategy strategy, AsofValues values, AsofRightRows rows, SortedCursor right, AsofLeftQueue queue,
            KeyTable groups, int headWord, int tailWord) {
        this.strategy = strategy;
        this.values = values;
        this.rows = rows;
        this.right = right;
        this.queue = queue;
        this.groups = groups;
        this.headWord = headWord;
        this.tailWord = tailWord;
    }

    /** Rows waiting now. */
    long count() {
        return count;
    }

    /** Whether rows of group {@code g} wait. */
    boolean waitsFor(int g) {
        return groups.word(g, headWord) != NONE;
    }

    /** A right row of the group arrived: it answers or improves every waiting row of the group, in left order. */
    void resolve(int g, long ref, Morsel m, int row) {
        long prev = NONE;
        long at = groups.word(g, headWord);
        while (at != NONE) {
            AsofLeftChunk c = queue.chunk(AsofLeftChunk.seqOf(at));
            int r = AsofLeftChunk.rowOf(at);
            long next = c.next(r);
            byte st = c.state(r);
            if (strategy == AsofStrategy.FORWARD) {
                markSettled(c, r, values.withinTolerance(c, r, m, row) ? ref : NONE);
                unlink(g, prev, at, next);
            } else if (st == WAITING || values.sameOn(c.match(r), m, row)) {
                c.setMatch(r, ref);
                c.setState(r, HAS_FORWARD);
                prev = at;
            } else {
                pickNearest(c, r);
                unlink(g, prev, at, next);
            }
            at = next;
        }
    }

    /** Left row {@code row} of {@code c}, of group {@code g}, waits for a right row of its group. */
    void add(AsofLeftChunk c, int row, int g) {
        c.setState(row, WAITING);
        c.setGroup(row, g);
        c.setNext(row, NONE);
        long ref = AsofLeftChunk.ref(c.seq, row);
        long tail = groups.word(g, tailWord);
        if (tail == NONE) {
            groups.setWord(g, headWord, ref);
        } else {
            queue.chunk(AsofLeftChunk.seqOf(tail)).setNext(AsofLeftChunk.rowOf(tail), ref);
        }
        groups.setWord(g, tailWord, ref);
        count++;
    }

    /** Takes waiting row {@code at} (after {@code prev}, before {@code next}) out of group {@code g}'s list. */
    private void unlink(int g, long prev, long at, long next) {
        if (prev == NONE) {
            groups.setWord(g, headWord, next);
        } else {
            queue.chunk(AsofLeftChunk.seqOf(prev)).setNext(AsofLeftChunk.rowOf(prev), next);
        }
        if (next == NONE) {
            groups.setWord(g, tailWord, prev);
        }
    }

    /** Takes a waiting row out of its group's list, wherever it is (at the head, in practice). */
    private void unlink(AsofLeftChunk c, int row) {
        int g = c.group(row);
        long at = AsofLeftChunk.ref(c.seq, row);
        long prev = NONE;
        long cur = groups.word(g, headWord);
        while (cur != at) {
            if (cur == NONE) {
                throw new IllegalStateException("waiting left row " + row + " of chunk " + c.seq + " is not in its group's list");
            }
            prev = cur;
            cur = queue.chunk(AsofLeftChunk.seqOf(cur)).next(AsofLeftChunk.rowOf(cur));
        }
        unlink(g, prev, at, c.next(row));
    }

    /** Settles a row with right row {@code ref} (or {@link AsofRightRows#NONE}), taking it out of its group's list. */
    void settle(AsofLeftChunk c, int row, long ref) {
        if (c.state(row) != SETTLED) {
            unlink(c, row);
        }
        markSettled(c, row, ref);
    }

    private void markSettled(AsofLeftChunk c, int row, long ref) {
        if (c.state(row) != SETTLED) {
            count--;
        }
        c.setState(row, SETTLED);
        c.setMatch(row, ref);
    }

    /** Settles a row with the nearer of its backward and forward candidates, taking it out of its group's list. */
    void settleNearest(AsofLeftChunk c, int row) {
        if (c.state(row) != SETTLED) {
            unlink(c, row);
        }
        pickNearest(c, row);
    }

    /** Settles a row (left in its list) with the nearer of its backward and forward candidates (the forward one on a tie). */
    private void pickNearest(AsofLeftChunk c, int row) {
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
        markSettled(c, row, pick);
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

    /** The right input ended: settles every row still waiting, in left order. */
    void settleAllAtEnd() {
        for (int q = 0; q < queue.size(); q++) {
            AsofLeftChunk c = queue.at(q);
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
    }
}
