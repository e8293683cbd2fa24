package dev.spillway.event;

/**
 * A Parquet scan planned its row groups.
 *
 * @param files                 files scanned
 * @param rowGroupsRead         row groups to read
 * @param rowGroupsSkipped      row groups skipped by statistics
 * @param rowGroupsTotal        row groups in all
 * @param morsels               morsels planned
 * @param columnsRead           columns read
 * @param columns               columns in the files
 * @param bounds                the pushed-down bounds, empty when none
 * @param partitionFilesSkipped files skipped by Hive partition values, -1 when the scan is not Hive-partitioned
 */
public record ParquetScanPlanned(
        int files, int rowGroupsRead, int rowGroupsSkipped, int rowGroupsTotal, long morsels, int columnsRead,
        int columns, String bounds, int partitionFilesSkipped) implements SpillwayEvent {
    /** Always {@code parquet}. */
    @Override
    public String component() {
        return "parquet";
    }

    @Override
    public String line() {
        return "[spillway] parquet: files=" + files + " row groups read=" + rowGroupsRead + " skipped=" + rowGroupsSkipped
                + " of " + rowGroupsTotal + " morsels=" + morsels + " columns=" + columnsRead + "/" + columns
                + (bounds.isEmpty() ? "" : " bounds=" + bounds) + (partitionFilesSkipped < 0 ? "" : " partition-files-skipped="
                + partitionFilesSkipped);
    }
}
