package dev.spillway.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** One block read back from a spill file. */
@Name("dev.spillway.SpillRead")
@Label("Spill Read")
@Category({"Spillway", "Spill"})
@Description("A block of a spilled partition verified and decompressed")
@StackTrace(false)
public final class SpillReadEvent extends jdk.jfr.Event {
    /** The spill file. */
    @Label("File")
    public String file;

    /** The partition the block belongs to (-1 when none). */
    @Label("Partition")
    public int partition;

    /** Rows in the block. */
    @Label("Rows")
    public int rows;

    /** Bytes read from the file. */
    @Label("Stored Bytes")
    @DataAmount
    public long storedBytes;

    /** Column bytes after decompression. */
    @Label("Raw Bytes")
    @DataAmount
    public long rawBytes;

    /** Time spent verifying and decompressing. */
    @Label("Read Time")
    @Timespan
    public long readNanos;
}
