package dev.spillway.spill;

import dev.spillway.errors.SpillCorruptedException;

import dev.spillway.event.PartitionEvicted;
import dev.spillway.event.SpillwayEvent;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.Hashing;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.MemoryManager;
import dev.spillway.memory.Morsel;
import dev.spillway.memory.NativeBuffer;
import dev.spillway.types.Schema;
import dev.spillway.memory.testing.LeakCheck.TestMemory;
import dev.spillway.memory.testing.RandomData;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static dev.spillway.memory.testing.LeakCheck.assertNoLeaks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PartitionedStoreTest {
    static final Schema SCHEMA = Schema.of(Field.of("k", DataType.INT64), Field.of("x", DataType.FLOAT64),
            Field.of("s", DataType.UTF8));
    static final RowHasher HASHER = (m, out) -> Hashing.hashColumn(m.column(0), out, false);

    static SpillManager manager(TestMemory mem) {
        return new SpillManager(SpillConfig.defaults().withRoot(mem.tempRoot()), mem.pool());
    }

    static StoreBuilder builder(TestMemory mem, MemoryBudget budget, SpillDirectory dir) {
        return RowStore.builder("test-store", SCHEMA, mem.pool(), budget, dir);
    }

    static long hashOf(Object key) {
        return key == null ? Hashing.NULL_HASH : Hashing.hashLong((Long) key);
    }

    static List<List<Object>> rows(Random rnd, int n) {
        return RandomData.rows(SCHEMA, n, rnd, 0.2);
    }

    /** Appends {@code rows} in morsels of up to 3000 rows. */
    static void appendAll(TestMemory mem, PartitionedStore store, List<List<Object>> rows, Random rnd) {
        for (int from = 0; from < rows.size(); ) {
            int n = Math.min(rows.size() - from, 1 + rnd.nextInt(3000));
            try (Morsel m = RandomData.morsel(SCHEMA, rows.subList(from, from + n), from, mem.pool(), mem.budget())) {
                store.append(m);
            }
            from += n;
        }
    }

    /** Every row of unit {@code p} (taken from memory, then read from disk); checks each row's partition. */
    static List<List<Object>> drain(PartitionedStore store, int p, MemoryBudget budget) {
        List<List<Object>> out = new ArrayList<>();
        for (Morsel m : store.take(p)) {
            try (m) {
                out.addAll(RandomData.rowsOf(m));
            }
        }
        Iterator<Morsel> it = store.readSpilled(p, budget);
        while (it.hasNext()) {
            try (Morsel m = it.next()) {
                out.addAll(RandomData.rowsOf(m));
            }
        }
        for (List<Object> row : out) {
            assertEquals(p, store.partitionOf(hashOf(row.get(0))), "row " + row + " in the wrong partition");
        }
        return out;
    }

    static Map<List<Object>, Integer> multiset(List<List<Object>> rows) {
        Map<List<Object>, Integer> m = new HashMap<>();
        for (List<Object> r : rows) {
            m.merge(r, 1, Integer::sum);
        }
        return m;
    }

    static List<List<Object>> drainAll(PartitionedStore store, MemoryBudget budget) {
        List<List<Object>> all = new ArrayList<>();
        for (int p = 0; p < store.unitCount(); p++) {
            all.addAll(drain(store, p, budget));
            assertEquals(0, store.bytes(p));
            store.release(p);
        }
        return all;
    }

    static long filesIn(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    // ------------------------------------------------------------------ round trips

    @Test
    void scatterAndReadBackEqualsInputForSeveralSeedsWithAndWithoutForcedSpill() {
        for (long seed = 1; seed <= 4; seed++) {
            for (double force : new double[] {0, 0.5, 1}) {
                long s = seed;
                assertNoLeaks(mem -> {
                    Random rnd = new Random(s);
                    List<List<Object>> input = rows(rnd, 2000 + rnd.nextInt(8000));
                    try (SpillManager sm = manager(mem); SpillDirectory dir = sm.createQueryDirectory("q", mem.budget());
                         PartitionedStore store = builder(mem, mem.budget(), dir).forceSpill(force)
                                 .sealBytes(4096).partitioned(1 + rnd.nextInt(8), 0, HASHER)) {
                        appendAll(mem, store, input, rnd);
                        store.finishInput();
                        long rowsCounted = 0;
                        for (int p = 0; p < store.unitCount(); p++) {
                            rowsCounted += store.rows(p);
                        }
                        assertEquals(input.size(), rowsCounted);
                        assertEquals(multiset(input), multiset(drainAll(store, mem.budget())), "seed " + s + " force " + force);
                        assertEquals(0, store.fileCount());
                    }
                });
            }
        }
    }

    @Test
    void tinyBudgetMakesTheStoreSpillThroughTheMemoryManagerWithAnExactRoundTrip() {
        assertNoLeaks(mem -> {
            Random rnd = new Random(7);
            List<List<Object>> input = rows(rnd, 60_000);
            List<SpillwayEvent> events = new CopyOnWriteArrayList<>();
            try (SpillManager sm = manager(mem); SpillDirectory dir = sm.createQueryDirectory("q", mem.budget())) {
                MemoryBudget storeBudget = mem.budget().child("store", 512L << 10);
                try (MemoryManager mm = new MemoryManager(storeBudget);
                     PartitionedStore store = builder(mem, storeBudget, dir).events(events::add).partitioned(4, 0, HASHER)) {
                    mm.register(store); // deregistered when the manager closes
                    appendAll(mem, store, input, rnd);
                    store.finishInput();
                    assertTrue(store.stats().evictions() > 0, store.stats().toString());
                    assertTrue(mm.bytesReclaimed() > 0);
                    assertFalse(events.isEmpty());
                    for (SpillwayEvent e : events) {
                        PartitionEvicted pe = (PartitionEvicted) e;
                        assertEquals("test-store", pe.component());
                        assertTrue(pe.line().startsWith("[spillway] test-store: evicting partition=" + pe.partition() + " bytes="),
                                pe.line());
                        assertNotNull(pe.file());
                    }
                    assertEquals(multiset(input), multiset(drainAll(store, mem.budget())));
                } finally {
                    storeBudget.close();
                }
            }
        });
    }

    @Test
    void afterEvictionLaterChunksGoStraightToDisk() {
        assertNoLeaks(mem -> {
            Random rnd = new Random(3);
            try (SpillManager sm = manager(mem); SpillDirectory dir = sm.createQueryDirectory("q", mem.budget());
                 PartitionedStore store = builder(mem, mem.budget(), dir).sealBytes(4096).partitioned(1, 0, HASHER)) {
                List<List<Object>> first = rows(rnd, 3000);
                appendAll(mem, store, first, rnd);
                assertTrue(store.evict(0) > 0);
                assertTrue(store.spilled(0));
                int blocks = store.blockCount(0);
                long diskBytes = store.diskBytes(0);
                assertTrue(diskBytes > 0, "the evicted blocks count their bytes on disk");
                List<List<Object>> second = rows(rnd, 20_000);
                appendAll(mem, store, second, rnd);
                assertTrue(store.blockCount(0) > blocks, "sealed chunks of an evicted partition were written");
                assertTrue(store.diskBytes(0) > diskBytes, "written-through blocks add their bytes");
                assertEquals(0, store.diskBytes(1), "a partition never evicted has nothing on disk");
                assertTrue(store.spilledBytes(0) > 0, "the raw size of what is on disk is counted too");
                assertTrue(store.bytes(0) < store.sealBytes() * 2, "only the open chunk stays in memory: " + store.bytes(0));
                store.finishInput();
                assertEquals(0, store.bytes(0));
                assertEquals(store.rows(0), store.spilledRows(0));
                List<List<Object>> all = new ArrayList<>(first);
                all.addAll(second);
                assertEquals(multiset(all), multiset(drainAll(store, mem.budget())));
            }
        });
    }

    @Test
    void theAppendingThreadsOwnReservationEvictsTheSealedChunksOfThePartitionItHoldsLocked() {
        assertNoLeaks(mem -> {
            Random rnd = new Random(5);
            List<List<Object>> input = rows(rnd, 80_000);
            try (SpillManager sm = manager(mem); SpillDirectory dir = sm.createQueryDirectory("q", mem.budget())) {
                // Room for one open chunk of a whole morsel's rows (seals are checked per morsel) and little more.
                MemoryBudget storeBudget = mem.budget().child("store", 3L << 19);
                // One partition, so every reclaim happens while this thread holds its lock.
                try (MemoryManager mm = new MemoryManager(storeBudget);
                     PartitionedStore store = RowStore.builder("own", SCHEMA, mem.pool(), storeBudget, dir)
                             .sealBytes(8192).partitioned(1, 0, null)) {
                    mm.register(store); // deregistered when the manager closes
                    for (int from = 0; from < input.size(); from += 2000) {
                        try (Morsel m = RandomData.morsel(SCHEMA, input.subList(from, from + 2000), from, mem.pool(), mem.budget());
                             NativeBuffer hashes = mem.pool().allocateZeroed(mem.budget(), 8L * 2000)) {
                            store.append(m, hashes.segment());
                        }
                    }
                    assertTrue(store.spilled(0));
                    assertTrue(store.stats().evictions() > 0);
                    store.finishInput();
                    List<List<Object>> back = new ArrayList<>();
                    Iterator<Morsel> it = store.readSpilled(0, mem.budget());
                    while (it.hasNext()) {
                        try (Morsel m = it.next()) {
                            back.addAll(RandomData.rowsOf(m));
                        }
                    }
                    assertTrue(store.take(0).isEmpty());
                    assertEquals(input, back, "one partition, one appender: the order is kept too");
                } finally {
                    storeBudget.close();
                }
            }
        });
    }

    @Test
    void pinnedAndTakenPartitionsAreNeverEvicted() {
        assertNoLeaks(mem -> {
            Random rnd = new Random(9);
            List<List<Object>> input = rows(rnd, 20_000);
            try (SpillManager sm = manager(mem); SpillDirectory dir = sm.createQueryDirectory("q", mem.budget());
                 PartitionedStore store = builder(mem, mem.budget(), dir).sealBytes(4096).partitioned(3, 0, HASHER)) {
                appendAll(mem, store, input, rnd);
                store.finishInput();
                store.pin(0);
                store.pin(1);
                List<Morsel> taken = store.take(2);
                try {
                    long pinnedBytes = store.bytes(0) + store.bytes(1);
                    assertTrue(pinnedBytes > 0);
                    assertEquals(store.bytesInMemory() - pinnedBytes, store.spillableBytes());
                    store.spill(Long.MAX_VALUE);
                    while (store.evictLargest() > 0) {
                        assertTrue(store.bytes(0) + store.bytes(1) == pinnedBytes);
                    }
                    assertFalse(store.spilled(0));
                    assertFalse(store.spilled(1));
                    assertFalse(store.spilled(2));
                    assertEquals(0, store.evict(0));
                    assertEquals(pinnedBytes, store.bytes(0) + store.bytes(1));
                    for (int p = 3; p < 8; p++) {
                        assertTrue(store.spilled(p), "partition " + p);
                        assertEquals(0, store.bytes(p));
                    }
                    assertEquals(0, store.spillableBytes());
                    store.unpin(0);
                    assertTrue(store.evict(0) > 0);
                    store.unpin(1);
                    List<List<Object>> back = new ArrayList<>();
                    for (Morsel m : taken) {
                        back.addAll(RandomData.rowsOf(m));
                    }
                    store.release(2);
                    for (int p = 0; p < 8; p++) {
                        if (p != 2) {
                            back.addAll(drain(store, p, mem.budget()));
                        }
                    }
                    assertEquals(multiset(input), multiset(back));
                } finally {
                    taken.forEach(Morsel::close);
                }
            }
        });
    }

    @Test
    void forcedSpillFractionNamesWhichPartitionsAndWhichStreamsSpill() {
        assertNoLeaks(mem -> {
            Random rnd = new Random(13);
            try (SpillManager sm = manager(mem); SpillDirectory dir = sm.createQueryDirectory("q", mem.budget())) {
                try (PartitionedStore store = builder(mem, mem.budget(), dir).forceSpill(0.25).partitioned(4, 0, HASHER)) {
                    appendAll(mem, store, rows(rnd, 20_000), rnd);
                    store.finishInput();
                    for (int p = 0; p < 16; p++) {
                        assertEquals(p < 4, store.spilled(p), "partition " + p);
                        assertEquals(p < 4, store.bytes(p) == 0, "partition " + p);
                    }
                }
                try (StreamStore streams = RowStore.builder("sort", SCHEMA, mem.pool(), mem.budget(), dir)
                        .forceSpill(0.5).streams()) {
                    for (int k = 0; k < 6; k++) {
                        int s = streams.newStream();
                        assertEquals(k, s);
                        streams.add(s, RandomData.morsel(SCHEMA, rows(rnd, 100), 0, mem.pool(), mem.budget()));
                        assertEquals(k % 2 == 1, streams.spilled(s), "stream " + k);
                        assertEquals(k % 2 == 1 ? 1 : 0, streams.blockCount(s));
                    }
                }
                try (StreamStore streams = RowStore.builder("sort", SCHEMA, mem.pool(), mem.budget(), dir)
                        .forceSpill(0.3).streams()) {
                    Set<Integer> spilled = new HashSet<>();
                    for (int k = 0; k < 10; k++) {
                        if (streams.spilled(streams.newStream())) {
                            spilled.add(k);
                        }
                    }
                    assertEquals(Set.of(3, 6, 9), spilled);
                }
            }
        });
    }

    // ------------------------------------------------------------------ re-partitioning

    @Test
    void repartitionScattersOnTheNextHashBitsAndReportsSkew() {
        assertNoLeaks(mem -> {
            Random rnd = new Random(17);
            try (SpillManager sm = manager(mem); SpillDirectory dir = sm.createQueryDirectory("q", mem.budget());
                 PartitionedStore store = builder(mem, mem.budget(), dir).forceSpill(0.5).sealBytes(4096).partitioned(2, 0, HASHER)) {
                List<List<Object>> input = rows(rnd, 30_000);
                // A dominant key in partition 3: 95% of its rows.
                long hot = 0;
                while (store.partitionOf(Hashing.hashLong(hot)) != 3) {
                    hot++;
                }
                long inThree = input.stream().filter(r -> store.partitionOf(hashOf(r.get(0))) == 3).count();
                for (int i = 0; i < inThree * 19; i++) {
                    input.add(List.of(hot, 1.5, "hot"));
                }
                appendAll(mem, store, input, rnd);
                store.finishInput();
                assertTrue(store.spilled(0) && !store.spilled(3));
                List<List<Object>> back = new ArrayList<>();
                for (int p = 0; p < 4; p++) {
                    long rowsBefore = store.rows(p);
                    Repartition r = store.repartition(p, 3);
                    try (PartitionedStore child = r.store()) {
                        assertEquals(8, child.unitCount());
                        assertEquals(rowsBefore, r.totalRows());
                        assertEquals(p == 3, r.skewed(), "partition " + p + " rows " + java.util.Arrays.toString(r.rows()));
                        int parent = p;
                        assertThrows(IllegalStateException.class, () -> store.take(parent), "the parent partition was released");
                        for (int s = 0; s < 8; s++) {
                            assertEquals(p < 2, child.spilled(s), "children of a spilled partition stay on disk");
                            assertTrue(p >= 2 || child.bytes(s) == 0);
                            for (List<Object> row : drain(child, s, mem.budget())) {
                                long h = hashOf(row.get(0));
                                assertEquals(p, Hashing.partition(h, 0, 2));
                                assertEquals(s, Hashing.partition(h, 2, 3));
                                back.add(row);
                            }
                        }
                    }
                }
                assertEquals(multiset(input), multiset(back));
                assertEquals(0, store.fileCount());
            }
        });
    }

    // ------------------------------------------------------------------ files

    @Test
    void allPartitionsEvictedShareOneFileAndFilesGoWhenTheirPartitionsAreReleased() {
        assertNoLeaks(mem -> {
            Random rnd = new Random(19);
            try (SpillManager sm = manager(mem); SpillDirectory dir = sm.createQueryDirectory("q", mem.budget())) {
                try (PartitionedStore store = builder(mem, mem.budget(), dir).forceSpill(1).partitioned(8, 0, HASHER)) {
                    appendAll(mem, store, rows(rnd, 50_000), rnd);
                    store.finishInput();
                    for (int p = 0; p < 256; p++) {
                        assertTrue(store.spilled(p) && store.blockCount(p) > 0, "partition " + p);
                    }
                    assertEquals(1, store.stats().filesCreated());
                    assertEquals(1, filesIn(dir.path()));
                    for (int p = 0; p < 255; p++) {
                        store.release(p);
                    }
                    assertEquals(1, filesIn(dir.path()), "partition 255 still has blocks in the file");
                    store.release(255);
                    assertEquals(0, filesIn(dir.path()));
                    assertEquals(0, dir.bytesOnDisk());
                    assertEquals(1, store.stats().filesDeleted());
                }
                try (PartitionedStore store = builder(mem, mem.budget(), dir).forceSpill(1).rollBytes(64L << 10).partitioned(8, 0, HASHER)) {
                    appendAll(mem, store, rows(rnd, 50_000), rnd);
                    store.finishInput();
                    long files = store.stats().filesCreated();
                    assertTrue(files > 1 && files < 256, files + " files for 256 partitions");
                    assertEquals(files, filesIn(dir.path()));
                }
                assertEquals(0, filesIn(dir.path()), "close deletes every file");
                assertEquals(0, dir.bytesOnDisk());
            }
        });
    }

    @Test
    void aCorruptBlockSurfacesAsSpillCorruptedException() {
        assertNoLeaks(mem -> {
            Random rnd = new Random(23);
            List<PartitionEvicted> events = new ArrayList<>();
            try (SpillManager sm = manager(mem); SpillDirectory dir = sm.createQueryDirectory("q", mem.budget());
                 PartitionedStore store = builder(mem, mem.budget(), dir)
                         .events(e -> events.add((PartitionEvicted) e)).partitioned(1, 0, HASHER)) {
                appendAll(mem, store, rows(rnd, 5000), rnd);
                store.finishInput();
                assertTrue(store.evict(1) > 0);
                Path file = events.getFirst().file();
                try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                    long at = raf.length() / 2;
                    raf.seek(at);
                    int b = raf.read();
                    raf.seek(at);
                    raf.write(b ^ 0x5A);
                }
                SpillCorruptedException e = assertThrows(SpillCorruptedException.class, () -> {
                    Iterator<Morsel> it = store.readSpilled(1, mem.budget());
                    while (it.hasNext()) {
                        it.next().close();
                    }
                });
                assertEquals(file, e.file());
            }
        });
    }

    // ------------------------------------------------------------------ concurrency

    @Test
    void concurrentAppendersAndSpillRequestsLoseNoRow() {
        for (long seed = 1; seed <= 3; seed++) {
            long s = seed;
            assertNoLeaks(mem -> {
                List<List<List<Object>>> parts = new ArrayList<>();
                Random rnd = new Random(s);
                for (int t = 0; t < 4; t++) {
                    parts.add(rows(new Random(rnd.nextLong()), 25_000));
                }
                try (SpillManager sm = manager(mem); SpillDirectory dir = sm.createQueryDirectory("q", mem.budget())) {
                    MemoryBudget storeBudget = mem.budget().child("store", 2L << 20);
                    ExecutorService pool = Executors.newFixedThreadPool(6);
                    try (MemoryManager mm = new MemoryManager(storeBudget);
                         PartitionedStore store = builder(mem, storeBudget, dir).sealBytes(4096).partitioned(5, 0, HASHER)) {
                        mm.register(store); // deregistered when the manager closes
                        AtomicBoolean done = new AtomicBoolean();
                        List<Future<?>> appenders = new ArrayList<>();
                        for (List<List<Object>> part : parts) {
                            long ts = rnd.nextLong();
                            appenders.add(pool.submit(() -> appendAll(mem, store, part, new Random(ts))));
                        }
                        List<Future<?>> spillers = new ArrayList<>();
                        for (int t = 0; t < 2; t++) {
                            long ts = rnd.nextLong();
                            spillers.add(pool.submit(() -> {
                                Random r = new Random(ts);
                                while (!done.get()) {
                                    store.spill(1 + r.nextInt(256 << 10));
                                    Thread.yield();
                                }
                            }));
                        }
                        for (Future<?> f : appenders) {
                            f.get();
                        }
                        done.set(true);
                        for (Future<?> f : spillers) {
                            f.get();
                        }
                        store.finishInput();
                        assertTrue(store.stats().evictions() > 0);
                        List<List<Object>> all = new ArrayList<>();
                        parts.forEach(all::addAll);
                        assertEquals(multiset(all), multiset(drainAll(store, mem.budget())), "seed " + s);
                    } finally {
                        pool.shutdownNow();
                        storeBudget.close();
                    }
                }
            });
        }
    }

    @Test
    void concurrentReadersOfDifferentPartitionsReadTheirOwnRows() {
        assertNoLeaks(mem -> {
            Random rnd = new Random(29);
            List<List<Object>> input = rows(rnd, 40_000);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try (SpillManager sm = manager(mem); SpillDirectory dir = sm.createQueryDirectory("q", mem.budget());
                 PartitionedStore store = builder(mem, mem.budget(), dir).forceSpill(1).sealBytes(4096).partitioned(4, 0, HASHER)) {
                appendAll(mem, store, input, rnd);
                store.finishInput();
                Map<Integer, List<List<Object>>> expected = new HashMap<>();
                for (List<Object> row : input) {
                    expected.computeIfAbsent(store.partitionOf(hashOf(row.get(0))), k -> new ArrayList<>()).add(row);
                }
                Map<Integer, Map<List<Object>, Integer>> got = new ConcurrentHashMap<>();
                List<Future<?>> readers = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int first = t;
                    readers.add(pool.submit(() -> {
                        for (int p = first; p < 16; p += 4) {
                            got.put(p, multiset(drain(store, p, mem.budget())));
                        }
                    }));
                }
                for (Future<?> f : readers) {
                    f.get();
                }
                for (int p = 0; p < 16; p++) {
                    assertEquals(multiset(expected.getOrDefault(p, List.of())), got.get(p), "partition " + p);
                }
            } finally {
                pool.shutdownNow();
            }
        });
    }

    @Test
    void streamsKeepTheirOrderAndAreReadWhileOtherStreamsSpill() {
        assertNoLeaks(mem -> {
            Random rnd = new Random(31);
            try (SpillManager sm = manager(mem); SpillDirectory dir = sm.createQueryDirectory("q", mem.budget());
                 StreamStore store = RowStore.builder("mux", SCHEMA, mem.pool(), mem.budget(), dir).streams()) {
                int streams = 5;
                List<List<List<Object>>> sent = new ArrayList<>();
                List<List<List<Object>>> received = new ArrayList<>();
                for (int s = 0; s < streams; s++) {
                    assertEquals(s, store.newStream());
                    sent.add(new ArrayList<>());
                    received.add(new ArrayList<>());
                }
                for (int round = 0; round < 200; round++) {
                    int s = rnd.nextInt(streams);
                    switch (rnd.nextInt(4)) {
                        case 0, 1 -> {
                            List<List<Object>> rows = rows(rnd, 1 + rnd.nextInt(500));
                            sent.get(s).addAll(rows);
                            store.add(s, RandomData.morsel(SCHEMA, rows, round, mem.pool(), mem.budget()));
                        }
                        case 2 -> store.spill(1 + rnd.nextInt(64 << 10));
                        default -> {
                            try (Morsel m = store.poll(s, mem.budget())) {
                                if (m != null) {
                                    received.get(s).addAll(RandomData.rowsOf(m));
                                }
                            }
                        }
                    }
                }
                assertTrue(store.stats().blocksWritten() > 0 && store.stats().blocksRead() > 0, store.stats().toString());
                assertEquals(1, store.stats().filesCreated(), "every stream spills into one file");
                for (int s = 0; s < streams; s++) {
                    for (Morsel m = store.poll(s, mem.budget()); m != null; m = store.poll(s, mem.budget())) {
                        try (Morsel held = m) {
                            received.get(s).addAll(RandomData.rowsOf(held));
                        }
                    }
                    assertEquals(sent.get(s), received.get(s), "stream " + s);
                    assertNull(store.poll(s, mem.budget()));
                    store.release(s);
                }
                assertEquals(0, filesIn(dir.path()));
            }
        });
    }

    @Test
    void aStreamIsPolledOnOneThreadWhileOthersAreAddedToAndSpilledOnAnother() {
        assertNoLeaks(mem -> {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try (SpillManager sm = manager(mem); SpillDirectory dir = sm.createQueryDirectory("q", mem.budget());
                 StreamStore store = RowStore.builder("mux", SCHEMA, mem.pool(), mem.budget(), dir).forceSpill(1).streams()) {
                int a = store.newStream();
                int b = store.newStream();
                List<List<Object>> sentA = new ArrayList<>();
                List<List<Object>> sentB = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    sentA.add(List.of((long) i, 0.5, "a" + i));
                    sentB.add(List.of((long) -i, 0.25, "b" + i));
                }
                AtomicBoolean producing = new AtomicBoolean(true);
                Future<?> producer = pool.submit(() -> {
                    for (int i = 0; i < 200; i += 10) {
                        store.add(a, RandomData.morsel(SCHEMA, sentA.subList(i, i + 10), i, mem.pool(), mem.budget()));
                        store.add(b, RandomData.morsel(SCHEMA, sentB.subList(i, i + 10), i, mem.pool(), mem.budget()));
                    }
                    producing.set(false);
                });
                List<List<Object>> gotA = new ArrayList<>();
                while (producing.get() || gotA.size() < sentA.size()) {
                    try (Morsel m = store.poll(a, mem.budget())) {
                        if (m != null) {
                            gotA.addAll(RandomData.rowsOf(m));
                        }
                    }
                }
                producer.get();
                assertEquals(sentA, gotA);
                List<List<Object>> gotB = new ArrayList<>();
                for (Morsel m = store.poll(b, mem.budget()); m != null; m = store.poll(b, mem.budget())) {
                    try (Morsel held = m) {
                        gotB.addAll(RandomData.rowsOf(held));
                    }
                }
                assertEquals(sentB, gotB);
            } finally {
                pool.shutdownNow();
            }
        });
    }

    @Test
    void badUseGetsSpecificErrors() {
        assertNoLeaks(mem -> {
            try (SpillManager sm = manager(mem); SpillDirectory dir = sm.createQueryDirectory("q", mem.budget());
                 PartitionedStore store = builder(mem, mem.budget(), dir).partitioned(2, 0, HASHER)) {
                assertThrows(IllegalArgumentException.class, () -> builder(mem, mem.budget(), dir).forceSpill(1.5));
                assertThrows(IllegalArgumentException.class, () -> builder(mem, mem.budget(), dir).partitioned(0, 0, HASHER));
                assertThrows(IllegalArgumentException.class, () -> builder(mem, mem.budget(), dir).partitioned(8, 60, HASHER));
                assertThrows(IllegalStateException.class, () -> store.take(0), "take before finishInput");
                assertThrows(IllegalStateException.class, () -> store.repartition(0, 2), "repartition before finishInput");
                try (Morsel m = RandomData.morsel(SCHEMA, rows(new Random(1), 10), 0, mem.pool(), mem.budget())) {
                    MemorySegment tooShort = MemorySegment.ofArray(new long[3]);
                    assertThrows(IllegalArgumentException.class, () -> store.append(m, tooShort));
                    store.finishInput();
                    assertThrows(IllegalStateException.class, () -> store.append(m), "append after finishInput");
                }
                assertThrows(IllegalArgumentException.class, () -> store.repartition(0, 0));
                assertThrows(IllegalStateException.class, () -> store.unpin(1));
            }
        });
    }
}
