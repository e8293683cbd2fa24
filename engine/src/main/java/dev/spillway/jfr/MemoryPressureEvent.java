package dev.spillway.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A reservation could not be met and the memory manager made a party spill. */
@Name("dev.spillway.MemoryPressure")
@Label("Memory Pressure")
@Category({"Spillway", "Memory"})
@Description("The memory manager asked a spillable operator to free memory")
@StackTrace(false)
public final class MemoryPressureEvent extends jdk.jfr.Event {
    /** The query whose operator spilled. */
    @Label("Query")
    public String query;

    /** The query whose reservation needed the memory (the same query, another one, or "-"). */
    @Label("Asked By")
    public String askedBy;

    /** The operator that spilled. */
    @Label("Party")
    public String party;

    /** Bytes the failing reservation asked for. */
    @Label("Requested")
    @DataAmount
    public long requestedBytes;

    /** Bytes the party freed. */
    @Label("Freed")
    @DataAmount
    public long freedBytes;

    /** Bytes the spilling query held after the spill. */
    @Label("Reserved")
    @DataAmount
    public long reservedBytes;

    /** The query's memory cap. */
    @Label("Cap")
    @DataAmount
    public long capBytes;
}
