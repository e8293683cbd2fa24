package dev.spillway.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** One block written to a spill file. */
@Name("dev.spillway.SpillWrite")
@Label("Spill Write")
@Category({"Spillway", "Spill"})
@Description("A block of a partition compressed and written to a spill file")
@StackTrace(false)
public final class SpillWriteEvent extends jdk.jfr.Event {
    /** The spill file. */
    @Label("File")
    public String file;

    /** The partition the block belongs to (-1 when none). */
    @Label("Partition")
    public int partition;

    /** Rows in the block. */
    @Label("Rows")
    public int rows;

    /** Column bytes before compression. */
    @Label("Raw Bytes")
    @DataAmount
    public long rawBytes;

    /** Bytes that reached the file. */
    @Label("Stored Bytes")
    @DataAmount
    public long storedBytes;

    /** Time spent compressing and writing. */
    @Label("Write Time")
    @Timespan
    public long writeNanos;
}
