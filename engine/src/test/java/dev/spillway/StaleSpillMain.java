package dev.spillway;

import dev.spillway.spill.SpillListener;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The child JVM of {@link StaleSpillSweepTest}: an engine on the spill root {@code args[0]} sorts
 * a range into {@code args[1]/result.csv} with everything forced to disk; when the first block is
 * spilled it prints {@code spilled <engine directory>} and stops that worker (its only one) for
 * good, so the process sits with spill files and the sink's temporary file on disk until it is
 * killed.
 */
public final class StaleSpillMain {
    private StaleSpillMain() {
    }

    /** Runs until killed. */
    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        Path out = Path.of(args[1]);
        AtomicBoolean announced = new AtomicBoolean();
        try (Spillway sw = Spillway.builder().memoryLimit(64L << 20).threads(1).morselRows(4096).forceSpill(1.0)
                .tempDir(root).build()) {
            sw.spills().addListener(new SpillListener() {
                @Override
                public void blockWritten(Path file, int partition, int rows, long raw, long stored, long nanos) {
                    if (announced.compareAndSet(false, true)) {
                        System.out.println("spilled " + sw.spills().engineDirectory());
                        System.out.flush();
                        while (true) {
                            try {
                                Thread.sleep(60_000);
                            } catch (InterruptedException e) {
                                // Only a kill ends this process.
                                continue;
                            }
                        }
                    }
                }
            });
            sw.range("v", 0, 1_000_000).sort("v").sinkCsv(out.resolve("result.csv"));
        }
        System.out.println("finished (not expected)");
    }
}
