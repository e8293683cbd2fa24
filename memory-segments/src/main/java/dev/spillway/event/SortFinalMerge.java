package dev.spillway.event;

/**
 * A sort starts its final merge, whose output is the sort's output.
 *
 * @param component      the reporting operator as in the log line, e.g. {@code equi-join}
 * @param runs           runs merged
 * @param inMemory       runs in memory
 * @param spilled        runs on disk
 * @param fanIn          most runs merged at once
 * @param mergePasses    intermediate merge passes before
 * @param maxOpenReaders most spill readers open at once
 */
public record SortFinalMerge(
        String component, int runs, int inMemory, int spilled, int fanIn, long mergePasses, long maxOpenReaders) implements SpillwayEvent {
    @Override
    public String line() {
        return "[spillway] " + component + ": final merge runs=" + runs + " in-memory=" + inMemory + " spilled=" + spilled
                + " fan-in=" + fanIn + " merge-passes=" + mergePasses + " max-open-readers=" + maxOpenReaders;
    }
}
