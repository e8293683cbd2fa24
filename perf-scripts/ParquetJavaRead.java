import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.DummyRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.schema.MessageType;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Reads every value of one float64 column of a Parquet file with parquet-java (parquet-hadoop,
 * its column-level API, one thread) and prints "parquet-java rows=<non-null> sum=<sum> seconds=..",
 * to compare with ParquetCompare's hardwood mode on the same file.
 *
 *   ParquetJavaRead FILE COLUMN
 */
public final class ParquetJavaRead {
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        String column = args[1];
        long t0 = System.nanoTime();
        long rows = 0;
        double sum = 0;
        try (ParquetFileReader r = ParquetFileReader.open(new LocalInputFile(file))) {
            MessageType schema = r.getFooter().getFileMetaData().getSchema();
            MessageType projection = new MessageType("projection", schema.getType(column));
            ColumnDescriptor cd = projection.getColumnDescription(new String[] {column});
            r.setRequestedSchema(projection);
            String createdBy = r.getFooter().getFileMetaData().getCreatedBy();
            int maxDef = cd.getMaxDefinitionLevel();
            PageReadStore pages;
            while ((pages = r.readNextRowGroup()) != null) {
                ColumnReadStoreImpl store = new ColumnReadStoreImpl(pages,
                        new DummyRecordConverter(projection).getRootConverter(), projection, createdBy);
                ColumnReader cr = store.getColumnReader(cd);
                long n = cr.getTotalValueCount();
                for (long i = 0; i < n; i++) {
                    if (cr.getCurrentDefinitionLevel() == maxDef) {
                        sum += cr.getDouble();
                        rows++;
                    }
                    cr.consume();
                }
            }
        }
        System.out.printf(Locale.ROOT, "parquet-java rows=%d sum=%.2f seconds=%.2f%n", rows, sum, (System.nanoTime() - t0) / 1e9);
    }
}
