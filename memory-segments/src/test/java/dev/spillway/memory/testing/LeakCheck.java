package dev.spillway.memory.testing;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.MemoryBudget;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs a test body with fresh native-memory resources and fails when it leaks any of them.
 *
 * <pre>{@code
 * assertNoLeaks(mem -> {
 *     try (NativeBuffer b = mem.pool().allocate(mem.budget(), 100)) { ... }
 * });
 * }</pre>
 *
 * <p>After the body — whether it returned or threw — the check asserts that the budget is back to
 * zero (printing the leak report naming the holders), that the pool has no buffer outstanding,
 * and that the temp root handed to the body (where spill directories go) is empty. Then it frees
 * everything, so one leaky test does not poison the next. A failure of the body is rethrown with
 * any leak attached as suppressed.
 */
public final class LeakCheck {
    /** Default cap of the test budget. */
    public static final long DEFAULT_CAP = 1L << 30;

    private LeakCheck() {
    }

    /** A test body that receives the resources to use. */
    @FunctionalInterface
    public interface Body {
        /** Runs the test. */
        void run(TestMemory mem) throws Exception;
    }

    /**
     * Resources handed to a test body.
     *
     * @param budget   the budget to charge
     * @param pool     the block pool
     * @param tempRoot the spill root: it must be empty when the body ends
     * @param dataDir  a scratch directory for test inputs and outputs, deleted afterwards
     */
    public record TestMemory(MemoryBudget budget, BlockPool pool, Path tempRoot, Path dataDir) {
    }

    /** Runs {@code body} with a {@link #DEFAULT_CAP} budget and checks for leaks. */
    public static void assertNoLeaks(Body body) {
        assertNoLeaks(DEFAULT_CAP, BlockPool.DEFAULT_BLOCK_SIZE, body);
    }

    /** Runs {@code body} with a budget capped at {@code capBytes} and checks for leaks. */
    public static void assertNoLeaks(long capBytes, Body body) {
        assertNoLeaks(capBytes, BlockPool.DEFAULT_BLOCK_SIZE, body);
    }

    /** Runs {@code body} with the given cap and pool block size and checks for leaks. */
    public static void assertNoLeaks(long capBytes, long blockSize, Body body) {
        Path tempRoot;
        Path dataDir;
        try {
            tempRoot = Files.createTempDirectory("spillway-test-");
            dataDir = Files.createTempDirectory("spillway-test-data-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        MemoryBudget budget = MemoryBudget.root("test", capBytes);
        BlockPool pool = new BlockPool(blockSize);
        pool.chargeIdleTo(budget);
        Throwable failure = null;
        try {
            body.run(new TestMemory(budget, pool, tempRoot, dataDir));
        } catch (Throwable t) {
            failure = t;
        }
        List<String> leaks = new ArrayList<>();
        if (budget.reserved() != 0) {
            leaks.add(budget.leakReport());
        }
        if (pool.outstandingBuffers() != 0) {
            leaks.add(pool.outstandingBuffers() + " native buffer(s) never closed");
        }
        if (pool.retainedBytes() > budget.cap()) {
            leaks.add("the pool retains " + pool.retainedBytes() + " bytes, above the cap of " + budget.cap());
        }
        List<Path> left = listTree(tempRoot);
        if (!left.isEmpty()) {
            leaks.add("spill files or directories left behind: " + left);
        }
        // Free everything regardless, so a leak does not spread to later tests.
        if (pool.outstandingBuffers() == 0) {
            pool.close();
        }
        deleteTree(tempRoot);
        deleteTree(dataDir);
        if (failure != null) {
            if (!leaks.isEmpty()) {
                failure.addSuppressed(new AssertionError(String.join("\n", leaks)));
            }
            if (failure instanceof RuntimeException re) {
                throw re;
            }
            if (failure instanceof Error err) {
                throw err;
            }
            throw new AssertionError("test body failed", failure);
        }
        if (!leaks.isEmpty()) {
            fail(String.join("\n", leaks));
        }
    }

    private static List<Path> listTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> !p.equals(root)).map(root::relativize).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
