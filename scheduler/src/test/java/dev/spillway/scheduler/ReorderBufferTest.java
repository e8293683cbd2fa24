package dev.spillway.scheduler;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ReorderBufferTest {
    @Test
    void itemsLeaveInSequenceOrderAndSkipsFillGaps() {
        ReorderBuffer<String> buf = new ReorderBuffer<>();
        List<String> out = new ArrayList<>();
        buf.add(2, "c", out::add);
        buf.add(1, "b", out::add);
        assertEquals(List.of(), out);
        assertEquals(2, buf.waitingCount());
        buf.skip(0, out::add);
        assertEquals(List.of("b", "c"), out);
        buf.skip(4, out::add);
        buf.add(5, "f", out::add);
        assertEquals(List.of("b", "c"), out);
        buf.add(3, "d", out::add);
        assertEquals(List.of("b", "c", "d", "f"), out);
        assertEquals(6, buf.nextSequence());
        assertEquals(0, buf.waitingCount());
    }

    @Test
    void duplicatesAreRejected() {
        ReorderBuffer<String> buf = new ReorderBuffer<>(10);
        List<String> out = new ArrayList<>();
        buf.add(10, "a", out::add);
        buf.add(12, "c", out::add);
        assertEquals("sequence 10 delivered twice (next expected: 11)",
                assertThrows(IllegalArgumentException.class, () -> buf.add(10, "again", out::add)).getMessage());
        assertEquals("sequence 12 delivered twice (next expected: 11)",
                assertThrows(IllegalArgumentException.class, () -> buf.skip(12, out::add)).getMessage());
    }

    @Test
    void drainReturnsWaitingItemsButNotSkipMarks() {
        ReorderBuffer<String> buf = new ReorderBuffer<>();
        buf.add(3, "d", s -> { });
        buf.skip(2, s -> { });
        buf.add(5, "f", s -> { });
        List<String> drained = new ArrayList<>(buf.drain());
        Collections.sort(drained);
        assertEquals(List.of("d", "f"), drained);
        assertEquals(0, buf.waitingCount());
    }

    @Test
    void randomPermutationWithSkipsComesOutSorted() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        List<Integer> seqs = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            seqs.add(i);
        }
        Collections.shuffle(seqs, rnd);
        ReorderBuffer<Integer> buf = new ReorderBuffer<>();
        List<Integer> out = new ArrayList<>();
        List<Integer> expected = new ArrayList<>();
        boolean[] skipped = new boolean[1000];
        for (int i = 0; i < 1000; i++) {
            skipped[i] = rnd.nextInt(5) == 0;
            if (!skipped[i]) {
                expected.add(i);
            }
        }
        for (int s : seqs) {
            if (skipped[s]) {
                buf.skip(s, out::add);
            } else {
                buf.add(s, s, out::add);
            }
        }
        assertEquals(expected, out, "seed " + seed);
    }
}
