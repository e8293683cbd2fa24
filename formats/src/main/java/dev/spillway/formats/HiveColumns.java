package dev.spillway.formats;

import dev.spillway.errors.FormatException;

import dev.spillway.memory.BlockPool;
import dev.spillway.memory.ColumnBuilder;
import dev.spillway.memory.ColumnVector;
import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.memory.MemoryBudget;
import dev.spillway.memory.Morsel;
import dev.spillway.types.Schema;
import dev.spillway.operators.HivePath;

import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * The partition columns of a hive-style directory ({@code dir/country=DE/year=2024/part-0.parquet}):
 * their names, inferred types and each file's values, parsed from the directory names between the
 * scanned directory and each file.
 *
 * <p>Types are inferred over all files: int64 when every non-null value is an integer, date when
 * every one is an ISO date ({@code 2024-01-31}), boolean for {@code true}/{@code false}, string
 * otherwise. {@value HivePath#NULL_VALUE} is null; {@code %XX} escapes are decoded.
 */
public final class HiveColumns {
    private final List<Field> fields;
    /** values.get(file)[column]. */
    private final List<Object[]> values;

    private HiveColumns(List<Field> fields, List<Object[]> values) {
        this.fields = List.copyOf(fields);
        this.values = List.copyOf(values);
    }

    /**
     * Parses the {@code k=v} directories of {@code files} below {@code root}; null when the files
     * sit in no such directory.
     *
     * @throws FormatException when two files have different partition columns (names or order)
     */
    public static HiveColumns discover(Path root, List<Path> files) {
        List<String> names = null;
        List<String[]> raw = new ArrayList<>();
        for (Path file : files) {
            Path rel = root.relativize(file).getParent();
            List<String> keys = new ArrayList<>();
            List<String> vals = new ArrayList<>();
            for (int i = 0; rel != null && i < rel.getNameCount(); i++) {
                String seg = rel.getName(i).toString();
                int eq = seg.indexOf('=');
                if (eq > 0) {
                    keys.add(HivePath.unescape(seg.substring(0, eq)));
                    vals.add(HivePath.unescape(seg.substring(eq + 1)));
                }
            }
            if (names == null) {
                names = keys;
            } else if (!names.equals(keys)) {
                throw new FormatException(file, null, "partition directories " + keys + " differ from " + names
                        + " of " + files.get(0) + "; every file of a hive-partitioned directory needs the same keys in the same order");
            }
            raw.add(vals.toArray(String[]::new));
        }
        if (names == null || names.isEmpty()) {
            return null;
        }
        List<Field> fields = new ArrayList<>();
        List<Object[]> values = new ArrayList<>();
        for (int f = 0; f < files.size(); f++) {
            values.add(new Object[names.size()]);
        }
        for (int c = 0; c < names.size(); c++) {
            DataType t = infer(raw, c);
            fields.add(Field.of(names.get(c), t));
            for (int f = 0; f < files.size(); f++) {
                String v = raw.get(f)[c];
                values.get(f)[c] = v == null ? null : switch (t) {
                    case INT64 -> Long.parseLong(v);
                    case DATE32 -> LocalDate.parse(v);
                    case BOOLEAN -> Boolean.parseBoolean(v);
                    default -> v;
                };
            }
        }
        return new HiveColumns(fields, values);
    }

    private static DataType infer(List<String[]> raw, int c) {
        boolean longs = true;
        boolean dates = true;
        boolean bools = true;
        for (String[] r : raw) {
            String v = r[c];
            if (v == null) {
                continue;
            }
            longs &= isLong(v);
            dates &= isDate(v);
            bools &= v.equals("true") || v.equals("false");
        }
        return longs ? DataType.INT64 : dates ? DataType.DATE32 : bools ? DataType.BOOLEAN : DataType.UTF8;
    }

    private static boolean isLong(String v) {
        try {
            Long.parseLong(v);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean isDate(String v) {
        try {
            LocalDate.parse(v);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    /** The partition columns, outermost first. */
    public List<Field> fields() {
        return fields;
    }

    /** The partition column names, outermost first. */
    public List<String> names() {
        return fields.stream().map(Field::name).toList();
    }

    /** Whether {@code name} is a partition column. */
    public boolean contains(String name) {
        for (Field f : fields) {
            if (f.name().equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** The value of partition column {@code name} for file {@code file} (null for a null partition). */
    public Object value(int file, String name) {
        for (int c = 0; c < fields.size(); c++) {
            if (fields.get(c).name().equals(name)) {
                return values.get(file)[c];
            }
        }
        throw new IllegalArgumentException("no partition column '" + name + "'");
    }

    /**
     * {@code m}'s columns followed by the constant partition columns {@code out} lists after them,
     * for rows of file {@code file}. Takes ownership of {@code m}; the new columns are charged to
     * {@code budget}.
     */
    public Morsel append(Morsel m, int file, Schema out, BlockPool pool, MemoryBudget budget) {
        try (m) {
            int rows = m.rowCount();
            List<ColumnVector> cols = new ArrayList<>(out.size());
            try {
                for (int c = 0; c < m.columnCount(); c++) {
                    cols.add(m.column(c).slice(0, rows));
                }
                for (int c = m.columnCount(); c < out.size(); c++) {
                    Field f = out.field(c);
                    Object v = value(file, f.name());
                    try (ColumnBuilder b = ColumnBuilder.create(f, pool, budget, Math.max(rows, 1))) {
                        b.ensureCapacity(rows);
                        for (int r = 0; r < rows; r++) {
                            b.appendObject(v);
                        }
                        cols.add(b.build());
                    }
                }
            } catch (RuntimeException e) {
                cols.forEach(ColumnVector::close);
                throw e;
            }
            return new Morsel(out, cols, rows, m.sequence());
        }
    }

    /** A morsel of {@code rows} rows holding only the partition columns of {@code out}, for file {@code file}. */
    public Morsel constant(int rows, int file, Schema out, long sequence, BlockPool pool, MemoryBudget budget) {
        return append(new Morsel(new Schema(List.of()), List.of(), rows, sequence), file, out, pool, budget);
    }
}
