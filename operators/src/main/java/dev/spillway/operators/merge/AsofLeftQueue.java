package dev.spillway.operators.merge;

import java.util.Arrays;

/**
 * The left chunks an {@link AsofJoin} has in hand, oldest first, numbered consecutively: a ring
 * of chunk references (one per left morsel, never per row) in which a chunk is found by its
 * number, so that a left ref ({@link AsofLeftChunk#ref}) leads to its chunk. Not thread-safe:
 * the join serialises.
 */
final class AsofLeftQueue {
    private AsofLeftChunk[] ring = new AsofLeftChunk[16];
    private int head;
    private int size;
    /** The number of the next chunk added. */
    private long nextSeq;

    /** The number the next chunk added must have. */
    long nextSeq() {
        return nextSeq;
    }

    /** Appends chunk {@link #nextSeq()}. */
    void add(AsofLeftChunk c) {
        if (c.seq != nextSeq) {
            throw new IllegalArgumentException("chunk " + c.seq + " added where chunk " + nextSeq + " belongs");
        }
        if (size == ring.length) {
            AsofLeftChunk[] bigger = new AsofLeftChunk[2 * size];
            for (int i = 0; i < size; i++) {
                bigger[i] = ring[(head + i) & (ring.length - 1)];
            }
            ring = bigger;
            head = 0;
        }
        ring[(head + size) & (ring.length - 1)] = c;
        size++;
        nextSeq++;
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    /** The i-th chunk, oldest first. */
    AsofLeftChunk at(int i) {
        return ring[(head + i) & (ring.length - 1)];
    }

    AsofLeftChunk peekFirst() {
        return size == 0 ? null : ring[head];
    }

    AsofLeftChunk peekLast() {
        return size == 0 ? null : at(size - 1);
    }

    /** Removes the oldest chunk. */
    AsofLeftChunk pollFirst() {
        AsofLeftChunk c = ring[head];
        ring[head] = null;
        head = (head + 1) & (ring.length - 1);
        size--;
        return c;
    }

    /** The chunk numbered {@code seq}, which must be in the queue. */
    AsofLeftChunk chunk(long seq) {
        long first = nextSeq - size;
        if (seq < first || seq >= nextSeq) {
            throw new IllegalStateException("chunk " + seq + " is not in hand (chunks " + first + " to " + (nextSeq - 1) + ")");
        }
        return at((int) (seq - first));
    }

    /** Forgets every chunk (the caller closes them). */
    void clear() {
        Arrays.fill(ring, null);
        head = 0;
        size = 0;
    }
}
