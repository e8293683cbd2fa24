package dev.spillway.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A query ran to its end (successfully or not); the event's duration is the query's. */
@Name("dev.spillway.QueryFinished")
@Label("Query Finished")
@Category({"Spillway", "Query"})
@Description("A query finished, with its memory and spill totals")
@StackTrace(false)
public final class QueryFinishedEvent extends jdk.jfr.Event {
    /** The query name. */
    @Label("Query")
    public String query;

    /** Whether it succeeded. */
    @Label("Succeeded")
    public boolean succeeded;

    /** Rows in the result. */
    @Label("Result Rows")
    public long resultRows;

    /** Most bytes reserved at once. */
    @Label("Peak Memory")
    @DataAmount
    public long peakBytes;

    /** The memory cap. */
    @Label("Cap")
    @DataAmount
    public long capBytes;

    /** Raw bytes spilled. */
    @Label("Spilled Raw")
    @DataAmount
    public long spilledRawBytes;

    /** Bytes written to spill files. */
    @Label("Spilled Stored")
    @DataAmount
    public long spilledStoredBytes;

    /** Stored bytes read back. */
    @Label("Read Back")
    @DataAmount
    public long readBackBytes;

    /** The largest resident set size of the process sampled while the query ran. */
    @Label("Peak RSS")
    @DataAmount
    public long peakRssBytes;
}
