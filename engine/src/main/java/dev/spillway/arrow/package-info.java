/**
 * The Arrow C data interface, both ways, through FFM and without copying.
 *
 * <p><b>Export</b> ({@link dev.spillway.arrow.ArrowExport}): a {@link dev.spillway.DataFrame} (or
 * any {@link dev.spillway.arrow.BatchSource}) becomes {@code ArrowSchema}/{@code ArrowArray}
 * structs or an {@code ArrowArrayStream} whose buffers are the frame's own memory. Every exported
 * array and stream holds the frame ({@link dev.spillway.DataFrame#retain()}); the frame's memory
 * returns to the budget after the Java owner's {@code close()} and the consumer's last release,
 * in whichever order they come. The callbacks are upcall stubs in the global arena, so a consumer
 * may call them at any time and from any thread; they never throw across the boundary (stream
 * calls return an errno and keep a message for {@code get_last_error}; failed releases are
 * logged). The structs Spillway allocates (children, pointer arrays, strings, the rare shifted
 * copy) come from the C heap ({@code calloc}/{@code free}): an arena would either tie the free to
 * the exporting thread or cost a handshake with every thread per release.
 *
 * <p><b>Import</b> ({@link dev.spillway.arrow.ArrowStreamScan}, through
 * {@link dev.spillway.Spillway#fromArrowStream}): a producer's stream becomes a single-pass scan.
 * Vectors wrap the producer's buffers in place; the bytes are charged to the query's budget while
 * any vector reads them, so the memory limit and the leak checks see them, and the producer's
 * release callback runs when the last vector over a batch is closed.
 *
 * <p>Types map as in the Arrow IPC reader and writer: int32 {@code i}, int64 {@code l}, float64
 * {@code g}, boolean {@code b}, date32 {@code tdD}, utf8 {@code u} (int32 offsets),
 * decimal128 {@code d:p,s}, timestamp {@code tsu:} or {@code tsu:<zone>}; imports also take
 * large utf8 ({@code U}), narrowing its offsets into a copy. Restricted FFM calls
 * are confined to {@code CData}.
 */
package dev.spillway.arrow;
