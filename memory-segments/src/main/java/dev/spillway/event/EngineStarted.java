package dev.spillway.event;

import dev.spillway.memory.Bytes;
import java.nio.file.Path;

/**
 * An engine started.
 *
 * @param memoryLimit the memory limit in bytes (the line prints it human-readable)
 * @param threads     worker threads
 * @param spillRoot   the spill root
 */
public record EngineStarted(long memoryLimit, int threads, Path spillRoot) implements SpillwayEvent {
    /** Always {@code engine}. */
    @Override
    public String component() {
        return "engine";
    }

    @Override
    public String line() {
        return "[spillway] engine: started memory-limit=" + Bytes.format(memoryLimit) + " threads=" + threads + " spill-root="
                + spillRoot;
    }
}
