package dev.spillway;

import dev.spillway.types.Schema;
import dev.spillway.options.JoinType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The equi-join oracle of the hash and merge join differential tests: a java.util hash join over
 * boxed rows. Key equality is the engine's: -0.0 equals 0.0, NaN equals NaN, and a null key
 * matches nothing unless nulls are equal.
 */
final class JoinOracle {
    private JoinOracle() {
    }

    /** Two inputs as schemas and boxed rows. */
    record Tables(Schema left, List<List<Object>> leftRows, Schema right, List<List<Object>> rightRows) {
    }

    /**
     * The rows of {@code left join right on left[lk] = right[rk]}: the left columns, then the right
     * columns other than the keys (the key values of unmatched right rows go into the left key
     * columns); SEMI and ANTI keep the left columns only.
     */
    static List<List<Object>> equiJoin(Tables t, int[] lk, int[] rk, JoinType how, boolean nullsEqual) {
        Map<List<Object>, List<Integer>> index = new HashMap<>();
        for (int i = 0; i < t.rightRows().size(); i++) {
            List<Object> key = keyOf(t.rightRows().get(i), rk);
            if (key != null || nullsEqual) {
                index.computeIfAbsent(key == null ? nullKey(t.rightRows().get(i), rk) : key, x -> new ArrayList<>()).add(i);
            }
        }
        boolean[] rightMatched = new boolean[t.rightRows().size()];
        List<List<Object>> out = new ArrayList<>();
        int rightWidth = t.right().size();
        for (List<Object> row : t.leftRows()) {
            List<Object> key = keyOf(row, lk);
            List<Integer> matches = key != null ? index.get(key) : nullsEqual ? index.get(nullKey(row, lk)) : null;
            boolean matched = matches != null && !matches.isEmpty();
            if (matched) {
                for (int m : matches) {
                    rightMatched[m] = true;
                    if (how != JoinType.SEMI && how != JoinType.ANTI) {
                        List<Object> o = new ArrayList<>(row);
                        for (int c = 0; c < rightWidth; c++) {
                            if (!contains(rk, c)) {
                                o.add(t.rightRows().get(m).get(c));
                            }
                        }
                        out.add(o);
                    }
                }
            }
            if ((how == JoinType.SEMI && matched) || (!matched && (how == JoinType.ANTI || how == JoinType.LEFT
                    || how == JoinType.FULL))) {
                List<Object> o = new ArrayList<>(row);
                if (!how.leftColumnsOnly()) {
                    for (int c = 0; c < rightWidth - rk.length; c++) {
                        o.add(null);
                    }
                }
                out.add(o);
            }
        }
        if (how == JoinType.RIGHT || how == JoinType.FULL) {
            for (int i = 0; i < t.rightRows().size(); i++) {
                if (rightMatched[i]) {
                    continue;
                }
                List<Object> r = t.rightRows().get(i);
                List<Object> o = new ArrayList<>();
                for (int c = 0; c < t.left().size(); c++) {
                    int pos = indexOf(lk, c);
                    o.add(pos >= 0 ? r.get(rk[pos]) : null);
                }
                for (int c = 0; c < rightWidth; c++) {
                    if (!contains(rk, c)) {
                        o.add(r.get(c));
                    }
                }
                out.add(o);
            }
        }
        if (how == JoinType.INNER || how == JoinType.LEFT) {
            // Inner and left results must never contain unmatched right rows.
            assertTrue(out.stream().allMatch(o -> o.size() == t.left().size() + rightWidth - rk.length));
        }
        return out;
    }

    /** A row's key values in join equality (-0.0 as 0.0), or null if any of them is null. */
    static List<Object> keyOf(List<Object> row, int[] keys) {
        List<Object> k = new ArrayList<>();
        for (int c : keys) {
            if (row.get(c) == null) {
                return null;
            }
            k.add(DifferentialSupport.norm(row.get(c)));
        }
        return k;
    }

    private static List<Object> nullKey(List<Object> row, int[] keys) {
        List<Object> k = new ArrayList<>();
        for (int c : keys) {
            k.add(DifferentialSupport.norm(row.get(c)));
        }
        return k;
    }

    private static boolean contains(int[] a, int v) {
        return indexOf(a, v) >= 0;
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        return -1;
    }
}
