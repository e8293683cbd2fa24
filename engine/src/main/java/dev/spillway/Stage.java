package dev.spillway;

/** Which plan {@link LazyFrame#explain(Stage)} prints. */
public enum Stage {
    /** The logical plan as written, before optimisation. */
    UNOPTIMIZED,
    /** The optimised logical plan. */
    LOGICAL,
    /** The physical plan: pipelines of labelled streaming operators (the default). */
    PHYSICAL
}
