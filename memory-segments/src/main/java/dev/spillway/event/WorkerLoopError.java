package dev.spillway.event;

/**
 * A worker's loop caught an error outside any task; the worker goes on.
 *
 * @param worker the worker index
 * @param error  the error (not part of the line; loggers print it as the cause)
 */
public record WorkerLoopError(int worker, Throwable error) implements SpillwayEvent {
    /** Always {@code scheduler}. */
    @Override
    public String component() {
        return "scheduler";
    }

    @Override
    public String line() {
        return "[spillway] scheduler: worker-loop-error worker=" + worker;
    }
}
