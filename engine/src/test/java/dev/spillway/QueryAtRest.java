package dev.spillway;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Checks of an engine between queries, and row helpers for the execution-API tests. */
final class QueryAtRest {
    private QueryAtRest() {
    }

    /** Asserts that {@code sw} holds no query memory, no pool buffer and no spill file or directory. */
    static void assertAtRest(Spillway sw, String what) throws IOException {
        assertEquals(0, sw.budget().reserved(), () -> what + ": memory back to zero\n" + sw.budget().leakReport());
        assertEquals(0, sw.pool().outstandingBuffers(), what + ": no pool buffer outstanding");
        assertEquals(0, sw.spills().bytesOnDisk(), what + ": no spill bytes counted on disk");
        Path root = sw.spills().root();
        if (Files.isDirectory(root)) {
            try (Stream<Path> s = Files.list(root)) {
                assertEquals(List.of(), s.toList(), what + ": nothing left under the spill root");
            }
        }
    }

    /** The rows sorted on their text, for results without a defined order. */
    static List<List<Object>> sorted(List<List<Object>> rows) {
        List<List<Object>> out = new ArrayList<>(rows);
        out.sort(Comparator.comparing(Object::toString));
        return out;
    }
}
