package dev.spillway.types;


import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** An immutable, ordered list of uniquely named {@link Field}s. */
public final class Schema implements Iterable<Field> {
    private final List<Field> fields;
    private final Map<String, Integer> index;
    /** Columns of the source this schema describes that cannot be read, with the reason; usually empty. */
    private final Map<String, String> unreadable;

    /**
     * Creates a schema.
     *
     * @throws IllegalArgumentException when two fields share a name
     */
    public Schema(List<Field> fields) {
        this.fields = List.copyOf(fields);
        Map<String, Integer> idx = new HashMap<>();
        for (int i = 0; i < this.fields.size(); i++) {
            Integer prev = idx.putIfAbsent(this.fields.get(i).name(), i);
            if (prev != null) {
                throw new IllegalArgumentException("duplicate column name '" + this.fields.get(i).name()
                        + "' at positions " + prev + " and " + i + " in " + this.fields);
            }
        }
        this.index = Map.copyOf(idx);
        this.unreadable = Map.of();
    }

    private Schema(Schema s, Map<String, String> unreadable) {
        this.fields = s.fields;
        this.index = s.index;
        this.unreadable = Map.copyOf(unreadable);
    }

    /**
     * The same fields, noting columns the source holds but cannot deliver (a file column of an
     * unsupported type), each with a message saying why. Such a column is not a field; asking for
     * it ({@link #require}, {@link #missing}) gives the message instead of "not found". The notes
     * do not take part in {@link #equals}.
     */
    public Schema withUnreadable(Map<String, String> reasons) {
        return reasons.isEmpty() && unreadable.isEmpty() ? this : new Schema(this, reasons);
    }

    /**
     * The fields named in {@code names}, in this schema's order (a scan's projection); this
     * schema when {@code names} is null.
     *
     * @throws IllegalArgumentException for a name that is not a field (see {@link #require})
     */
    public Schema project(Collection<String> names) {
        if (names == null) {
            return this;
        }
        for (String n : names) {
            require(n);
        }
        List<Field> kept = new ArrayList<>();
        for (Field f : fields) {
            if (names.contains(f.name())) {
                kept.add(f);
            }
        }
        return new Schema(kept);
    }

    /** The unreadable columns noted by {@link #withUnreadable}, with their messages. */
    public Map<String, String> unreadable() {
        return unreadable;
    }

    /** The message for a column that is not a field: its unreadable note, or "column 'x' not found; available: ...". */
    public String missing(String name) {
        String why = unreadable.get(name);
        return why != null ? why : "column '" + name + "' not found; available: " + String.join(", ", names());
    }

    /** Creates a schema from fields. */
    public static Schema of(Field... fields) {
        return new Schema(List.of(fields));
    }

    /** Number of fields. */
    public int size() {
        return fields.size();
    }

    /** The field at position {@code i}. */
    public Field field(int i) {
        return fields.get(i);
    }

    /** The field called {@code name}; throws like {@link #require}. */
    public Field field(String name) {
        return fields.get(require(name));
    }

    /** All fields in order. */
    public List<Field> fields() {
        return fields;
    }

    /** All names in order. */
    public List<String> names() {
        List<String> names = new ArrayList<>(fields.size());
        for (Field f : fields) {
            names.add(f.name());
        }
        return names;
    }

    /** Position of {@code name}, or -1. */
    public int indexOf(String name) {
        Integer i = index.get(name);
        return i == null ? -1 : i;
    }

    /**
     * Position of {@code name}.
     *
     * @throws IllegalArgumentException "column 'x' not found; available: a, b, c"
     */
    public int require(String name) {
        int i = indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException(missing(name));
        }
        return i;
    }

    @Override
    public Iterator<Field> iterator() {
        return fields.iterator();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Schema s && s.fields.equals(fields);
    }

    @Override
    public int hashCode() {
        return fields.hashCode();
    }

    @Override
    public String toString() {
        return "Schema" + fields;
    }
}
