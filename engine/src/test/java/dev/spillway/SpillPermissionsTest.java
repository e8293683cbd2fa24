package dev.spillway;

import dev.spillway.memory.testing.LeakCheck;
import dev.spillway.options.JoinType;
import dev.spillway.spill.SpillListener;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Spilled data is readable by its owner only: every spill file a query writes is {@code rw-------}
 * and sits in a query directory that is {@code rwx------} inside the engine's {@code rwx------}
 * directory in the spill root (skipped where the
 * file system has no POSIX permissions).
 */
class SpillPermissionsTest {

    @Test
    void spillDirectoriesAreOwnerOnlyAndSpillFilesOwnerReadWrite() {
        assumeTrue(Path.of(".").getFileSystem().supportedFileAttributeViews().contains("posix"),
                "the file system has no POSIX permissions");
        LeakCheck.assertNoLeaks(mem -> {
            Path root = mem.tempRoot().resolve("spill");
            Map<Path, String> files = new ConcurrentHashMap<>();
            Map<Path, String> dirs = new ConcurrentHashMap<>();
            Map<Path, String> engineDirs = new ConcurrentHashMap<>();
            try (Spillway sw = Spillway.builder().memoryLimit(64L << 20).threads(2).morselRows(4096).forceSpill(1.0)
                    .tempDir(root).build()) {
                sw.spills().addListener(new SpillListener() {
                    @Override
                    public void fileCreated(Path file, String label) {
                        files.put(file, permissions(file));
                        dirs.put(file.getParent(), permissions(file.getParent()));
                        engineDirs.put(file.getParent().getParent(), permissions(file.getParent().getParent()));
                    }
                });
                LazyFrame in = sw.range("v", 0, 50_000).withColumns(col("v").mod(lit(5_000L)).alias("k"));
                LazyFrame q = in.join(sw.range("k", 0, 5_000), "k", JoinType.INNER).groupBy("k").agg(col("v").sum().alias("s"))
                        .sort("k");
                try (DataFrame df = q.collect()) {
                    assertEquals(5_000, df.rowCount());
                }
            }
            assertFalse(files.isEmpty(), "the query spilled");
            for (Map.Entry<Path, String> f : files.entrySet()) {
                assertEquals("rw-------", f.getValue(), "spill file " + f.getKey());
            }
            for (Map.Entry<Path, String> d : dirs.entrySet()) {
                assertEquals("rwx------", d.getValue(), "spill directory " + d.getKey());
                assertEquals(root.toAbsolutePath(), d.getKey().getParent().getParent(),
                        "query directories sit in the engine's directory in the spill root");
                assertEquals("rwx------", engineDirs.get(d.getKey().getParent()), "engine directory " + d.getKey().getParent());
            }
            try (var left = Files.list(root)) {
                assertEquals(List.of(), left.toList(), "no spill directory left");
            }
            Files.delete(root);
        });
    }

    private static String permissions(Path p) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
