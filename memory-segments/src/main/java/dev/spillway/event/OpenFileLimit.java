package dev.spillway.event;

/**
 * The process's open-file limit next to the spiller's file cap, reported at start.
 *
 * @param processLimit the process limit ({@code ulimit -n}), -1 when unknown
 * @param spillFileCap most spill files open at once
 * @param low          whether the limit is under four times the cap (a warning)
 */
public record OpenFileLimit(long processLimit, int spillFileCap, boolean low) implements SpillwayEvent {
    /** Always {@code spiller}. */
    @Override
    public String component() {
        return "spiller";
    }

    @Override
    public String line() {
        return "[spillway] spiller: open-file-limit" + (low ? "-low" : "") + " process-limit=" + processLimit + " spill-file-cap="
                + spillFileCap + (low ? " raise it with ulimit -n" : "");
    }
}
