/**
 * File formats beyond CSV: Parquet ({@code .parquet}) and the Arrow IPC file format
 * ({@code .arrow}, Feather v2). Scans are sources that hand one split (a Parquet row group, an
 * Arrow record batch) to each pulling worker; sinks restore source order with a reorder buffer
 * and write to a temporary file that replaces the target only when the query succeeds.
 * Every format error is a {@link dev.spillway.errors.FormatException} naming the file.
 */
package dev.spillway.formats;
