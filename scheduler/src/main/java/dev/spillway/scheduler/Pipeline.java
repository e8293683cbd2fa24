package dev.spillway.scheduler;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Source, stateless operators and a sink, run morsel by morsel on the worker pool.
 *
 * <p>{@code maxInFlight} bounds the morsels of this pipeline between source and sink at any
 * moment (exact backpressure): a morsel is in flight from the moment the source hands it out
 * until the sink took it (or an operator dropped it), including while a refusing sink makes it
 * wait. It is also the most workers that run the pipeline at once.
 */
public final class Pipeline {
    /** Default bound on morsels in flight. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 4;
    /** Largest accepted bound on morsels in flight. */
    public static final int MAX_IN_FLIGHT_LIMIT = 1 << 16;

    private final String name;
    private final Source source;
    private final List<Operator> operators;
    private final Sink<?> sink;
    private final int maxInFlight;
    private final List<Pipeline> dependencies = new ArrayList<>();

    /** A pipeline with {@link #DEFAULT_MAX_IN_FLIGHT}. */
    public Pipeline(String name, Source source, List<Operator> operators, Sink<?> sink) {
        this(name, source, operators, sink, DEFAULT_MAX_IN_FLIGHT);
    }

    /** A pipeline with its own bound on morsels in flight. */
    public Pipeline(String name, Source source, List<Operator> operators, Sink<?> sink, int maxInFlight) {
        if (maxInFlight < 1 || maxInFlight > MAX_IN_FLIGHT_LIMIT) {
            throw new IllegalArgumentException("max morsels in flight of pipeline '" + name + "' must be in [1, "
                    + MAX_IN_FLIGHT_LIMIT + "], got " + maxInFlight);
        }
        this.name = Objects.requireNonNull(name, "name");
        this.source = Objects.requireNonNull(source, "source");
        this.operators = List.copyOf(operators);
        this.sink = Objects.requireNonNull(sink, "sink");
        this.maxInFlight = maxInFlight;
    }

    /**
     * Declares that this pipeline may start only after {@code other} finished (its sink's
     * {@code finish} returned) — e.g. a join's probe pipeline after its build pipeline. Declare
     * dependencies before creating the {@link QueryPlan}, which captures them.
     *
     * @return this pipeline
     */
    public Pipeline dependsOn(Pipeline other) {
        Objects.requireNonNull(other, "other");
        if (other == this) {
            throw new IllegalArgumentException("pipeline '" + name + "' cannot depend on itself");
        }
        if (!dependencies.contains(other)) {
            dependencies.add(other);
        }
        return this;
    }

    /** The name. */
    public String name() {
        return name;
    }

    /** The source. */
    public Source source() {
        return source;
    }

    /** The operators, in order. */
    public List<Operator> operators() {
        return operators;
    }

    /** The sink. */
    public Sink<?> sink() {
        return sink;
    }

    /** The bound on morsels in flight. */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** The pipelines this one waits for. */
    public List<Pipeline> dependencies() {
        return List.copyOf(dependencies);
    }

    @Override
    public String toString() {
        return "Pipeline[" + name + "]";
    }
}
