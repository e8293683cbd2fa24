package dev.spillway.operators.groupby;

import dev.spillway.types.DataType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import dev.spillway.operators.groupby.function.DistinctFunction;
import dev.spillway.operators.groupby.function.StateType;

import java.util.ArrayList;
import java.util.List;

/**
 * Where everything sits in the three row shapes of a group-by.
 *
 * <ul>
 *   <li><b>Input rows</b>: the {@code G} group keys, then one column per aggregate that has an
 *       input (in aggregate order).</li>
 *   <li><b>Partial rows</b> (what pre-aggregation flushes to partitions and what spills): the
 *       {@code G} group keys, then the {@code U} inputs of the distinct aggregates
 *       ({@code n_unique}, a {@link DistinctFunction}) — these
 *       extend the key, so that every distinct (keys, value) pair stays its own partial row and
 *       the distinct count stays exact however rows are split and spilled — then the state columns
 *       of every aggregate.</li>
 *   <li><b>Output rows</b>: the group keys, then one result column per aggregate.</li>
 * </ul>
 * Rows are partitioned on the hash of the {@code G} group keys only, so all partial rows of a
 * group meet in one partition.
 */
public final class AggLayout {
    final DataType[] keyTypes;
    final AggSpec[] aggs;
    /** Input column of each aggregate, -1 for one without input (len). */
    final int[] inputColumn;
    /** For each distinct (n_unique) aggregate (in order), its input column; they extend the key. */
    final int[] distinctInputs;
    /** For each aggregate, its position among the distinct inputs, or -1. */
    final int[] distinctIndex;
    /** Types of the extended key: group keys then distinct inputs. */
    final DataType[] fineKeyTypes;
    /** First state slot of each aggregate. */
    final int[] stateStart;
    /** Type of every state slot. */
    final DataType[] stateTypes;
    /** Every state slot (type, precision and scale, starting value). */
    final StateType[] states;
    /** Whether each state slot starts null (else zero) in a new group. */
    final boolean[] stateStartsNull;
    private final Schema input;
    private final Schema partial;
    private final Schema output;
    private final List<Field> keyFields;
    private final List<AggSpec> aggList;

    /**
     * A layout.
     *
     * @param keys the group keys (names and types)
     * @param aggs the aggregates
     */
    public AggLayout(List<Field> keys, List<AggSpec> aggs) {
        this(keys, aggs, true);
    }

    /**
     * A layout.
     *
     * @param extendKey whether n_unique inputs extend the key of partial rows; false for the
     *                  second level, whose n_unique states are counts to add up
     */
    AggLayout(List<Field> keys, List<AggSpec> aggs, boolean extendKey) {
        this.keyFields = List.copyOf(keys);
        this.aggList = List.copyOf(aggs);
        this.keyTypes = keys.stream().map(Field::type).toArray(DataType[]::new);
        this.aggs = aggs.toArray(AggSpec[]::new);
        int g = keyTypes.length;
        List<Field> in = new ArrayList<>();
        List<Field> part = new ArrayList<>();
        List<Field> out = new ArrayList<>();
        for (int k = 0; k < g; k++) {
            in.add(keys.get(k).nullableAs("key" + k));
            part.add(keys.get(k).nullableAs("key" + k));
            out.add(keys.get(k).nullableAs(keys.get(k).name()));
        }
        inputColumn = new int[this.aggs.length];
        distinctIndex = new int[this.aggs.length];
        List<Integer> distinct = new ArrayList<>();
        List<DataType> fine = new ArrayList<>(List.of(keyTypes));
        for (int a = 0; a < this.aggs.length; a++) {
            AggSpec s = this.aggs[a];
            inputColumn[a] = s.function().hasInput() ? in.size() : -1;
            if (s.function().hasInput()) {
                in.add(s.inputField("in" + a));
            }
            distinctIndex[a] = -1;
            if (s.function() instanceof DistinctFunction && extendKey) {
                distinctIndex[a] = distinct.size();
                distinct.add(inputColumn[a]);
                fine.add(s.inputType());
                part.add(s.inputField("distinct" + a));
            }
            out.add(s.resultField());
        }
        distinctInputs = distinct.stream().mapToInt(Integer::intValue).toArray();
        fineKeyTypes = fine.toArray(DataType[]::new);
        stateStart = new int[this.aggs.length];
        List<StateType> states = new ArrayList<>();
        for (int a = 0; a < this.aggs.length; a++) {
            stateStart[a] = states.size();
            List<StateType> st = this.aggs[a].stateTypes();
            for (int i = 0; i < st.size(); i++) {
                states.add(st.get(i));
                part.add(Field.of("state" + a + "_" + i, st.get(i).type(), st.get(i).decimal()));
            }
        }
        this.states = states.toArray(StateType[]::new);
        stateTypes = states.stream().map(StateType::type).toArray(DataType[]::new);
        stateStartsNull = new boolean[states.size()];
        for (int i = 0; i < stateStartsNull.length; i++) {
            stateStartsNull[i] = states.get(i).startsNull();
        }
        this.input = new Schema(in);
        this.partial = new Schema(part);
        this.output = new Schema(out);
    }

    /**
     * The layout of a second level that merges this level's per-partition results: the same keys
     * and aggregates, with n_unique states as counts to add up instead of an extended key.
     */
    AggLayout merged() {
        return new AggLayout(keyFields, aggList, false);
    }

    /** Shape of the rows the group-by consumes: keys, then aggregate inputs. */
    public Schema inputSchema() {
        return input;
    }

    /** Shape of partial-state rows (flushed, spilled and merged). */
    public Schema partialSchema() {
        return partial;
    }

    /** Shape of the result. */
    public Schema outputSchema() {
        return output;
    }

    /** Number of group keys. */
    public int keyCount() {
        return keyTypes.length;
    }

    /** Number of extended key columns (group keys plus n_unique inputs). */
    int fineKeyCount() {
        return fineKeyTypes.length;
    }

    /** Whether some aggregate is distinct, e.g. n_unique (the key is extended). */
    boolean hasDistinct() {
        return distinctInputs.length > 0;
    }

    /** Input columns forming the extended key of an input row. */
    int[] inputFineKeyColumns() {
        int[] cols = new int[fineKeyTypes.length];
        for (int k = 0; k < keyTypes.length; k++) {
            cols[k] = k;
        }
        for (int u = 0; u < distinctInputs.length; u++) {
            cols[keyTypes.length + u] = distinctInputs[u];
        }
        return cols;
    }
}
