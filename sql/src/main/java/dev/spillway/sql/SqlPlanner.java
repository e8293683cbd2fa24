package dev.spillway.sql;

import dev.spillway.internal.EngineInternals;

import dev.spillway.Expr;
import dev.spillway.options.JoinOptions;
import dev.spillway.LazyFrame;
import dev.spillway.SortKey;
import dev.spillway.Spillway;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import dev.spillway.options.CsvOptions;
import dev.spillway.expr.BinaryOp;
import dev.spillway.options.BuildSide;
import dev.spillway.options.JoinType;
import dev.spillway.plan.ExprCompiler;
import dev.spillway.errors.PlanException;
import net.sf.jsqlparser.expression.BinaryExpression;
import net.sf.jsqlparser.expression.CaseExpression;
import net.sf.jsqlparser.expression.CastExpression;
import net.sf.jsqlparser.expression.DateTimeLiteralExpression;
import net.sf.jsqlparser.expression.DateValue;
import net.sf.jsqlparser.expression.DoubleValue;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.ExtractExpression;
import net.sf.jsqlparser.expression.Function;
import net.sf.jsqlparser.expression.IntervalExpression;
import net.sf.jsqlparser.expression.LongValue;
import net.sf.jsqlparser.expression.NotExpression;
import net.sf.jsqlparser.expression.NullValue;
import net.sf.jsqlparser.expression.SignedExpression;
import net.sf.jsqlparser.expression.StringValue;
import net.sf.jsqlparser.expression.WhenClause;
import net.sf.jsqlparser.expression.BooleanValue;
import net.sf.jsqlparser.expression.operators.arithmetic.Addition;
import net.sf.jsqlparser.expression.operators.arithmetic.Division;
import net.sf.jsqlparser.expression.operators.arithmetic.Modulo;
import net.sf.jsqlparser.expression.operators.arithmetic.Multiplication;
import net.sf.jsqlparser.expression.operators.arithmetic.Subtraction;
import net.sf.jsqlparser.expression.operators.conditional.AndExpression;
import net.sf.jsqlparser.expression.operators.conditional.OrExpression;
import net.sf.jsqlparser.expression.operators.relational.Between;
import net.sf.jsqlparser.expression.operators.relational.EqualsTo;
import net.sf.jsqlparser.expression.operators.relational.ExistsExpression;
import net.sf.jsqlparser.expression.operators.relational.ExpressionList;
import net.sf.jsqlparser.expression.operators.relational.GreaterThan;
import net.sf.jsqlparser.expression.operators.relational.GreaterThanEquals;
import net.sf.jsqlparser.expression.operators.relational.InExpression;
import net.sf.jsqlparser.expression.operators.relational.IsNullExpression;
import net.sf.jsqlparser.expression.operators.relational.LikeExpression;
import net.sf.jsqlparser.expression.operators.relational.MinorThan;
import net.sf.jsqlparser.expression.operators.relational.MinorThanEquals;
import net.sf.jsqlparser.expression.operators.relational.NamedExpressionList;
import net.sf.jsqlparser.expression.operators.relational.NotEqualsTo;
import net.sf.jsqlparser.expression.operators.relational.ParenthesedExpressionList;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.create.table.ColDataType;
import net.sf.jsqlparser.statement.select.AllColumns;
import net.sf.jsqlparser.statement.select.AllTableColumns;
import net.sf.jsqlparser.statement.select.FromItem;
import net.sf.jsqlparser.statement.select.Join;
import net.sf.jsqlparser.statement.select.Limit;
import net.sf.jsqlparser.statement.select.Offset;
import net.sf.jsqlparser.statement.select.OrderByElement;
import net.sf.jsqlparser.statement.select.ParenthesedFromItem;
import net.sf.jsqlparser.statement.select.ParenthesedSelect;
import net.sf.jsqlparser.statement.select.PlainSelect;
import net.sf.jsqlparser.statement.select.Select;
import net.sf.jsqlparser.statement.select.SelectItem;
import net.sf.jsqlparser.statement.select.SetOperation;
import net.sf.jsqlparser.statement.select.SetOperationList;
import net.sf.jsqlparser.statement.select.TableFunction;
import net.sf.jsqlparser.statement.select.UnionOp;
import net.sf.jsqlparser.statement.select.IntersectOp;
import net.sf.jsqlparser.statement.select.ExceptOp;
import net.sf.jsqlparser.statement.select.MinusOp;
import net.sf.jsqlparser.statement.select.WithItem;

import java.nio.file.Path;
import java.time.LocalDate;
import java.time.Period;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.lit;

/**
 * Binds and plans one SELECT statement onto {@link LazyFrame}s and {@link Expr}s.
 *
 * <p>Every column of every FROM item is renamed on entry to a name unique within the statement
 * ({@code l_orderkey#3}), so that self-joins (TPC-H's {@code lineitem l1, lineitem l2}) and
 * correlated subqueries never clash; the final projection names the result's columns as the
 * SELECT list says. How each clause maps:
 * <ul>
 *   <li>FROM items separated by commas are joined by the WHERE equalities between them (hash
 *       equi-joins), greedily: the pair whose join is estimated smallest first ({@link Cardinality}),
 *       the smaller side hashed, so the tree may be bushy; items with no equality between them are
 *       cross-joined once nothing connected is left. Conjuncts that read one item filter it before
 *       the joins; the others filter as soon as a join brings their columns together. An
 *       uncorrelated {@code x [NOT] IN (subquery)} whose x reads one item applies to that item
 *       before the joins. An OR whose branches share conjuncts
 *       ({@code (a and b) or (a and c)}) has them factored out first, so that shared join
 *       equalities (TPC-H Q19) become join keys.</li>
 *   <li>{@code [NOT] EXISTS} and {@code [NOT] IN (subquery)} become semi and anti joins on the
 *       subquery's equality correlations. A further correlation {@code inner op outer}
 *       ({@code <>, <, <=, >, >=}) becomes a comparison with the inner column's per-key minimum
 *       and maximum (TPC-H Q21); more than one runs as a nested-loop semi or anti join.</li>
 *   <li>A scalar subquery without correlation is cross-joined on (one row); a correlated one is
 *       grouped by its correlation keys and left-joined on them. When the outer rows look far
 *       fewer than the subquery's input, the outer relation is shared and its distinct keys
 *       semi-join that input first, so only the groups asked for are aggregated (TPC-H Q2, Q17).</li>
 *   <li>{@code x NOT IN (subquery)} follows three-valued logic: every row when the subquery is
 *       empty, none when it returns a null, else the rows whose x is not null and not among the values.</li>
 *   <li>Aggregates are collected from the SELECT list, HAVING and ORDER BY, computed by one
 *       group-by (or a global aggregate) and the expressions above them evaluated after it.</li>
 * </ul>
 */
final class SqlPlanner {
    private final Spillway sw;
    private final Map<String, LazyFrame> tables;
    private final Map<String, Relation> ctes = new HashMap<>();
    private int counter;
    /** The type of each FROM item column by internal name, for typing CASE branches. */
    private final Map<String, Field> types = new HashMap<>();

    /**
     * A correlated scalar subquery is aggregated only for the outer query's keys when its input
     * looks at least this many times larger than the outer rows ({@link Cardinality}).
     */
    private static final double RESTRICT_RATIO = 4;

    /** A planned query or FROM item: its frame and the columns names can see. */
    private record Relation(LazyFrame frame, List<Scope.Column> columns) {
    }

    /** A planned query's result: the frame, its column names in SELECT order. */
    record Output(LazyFrame frame, List<String> names) {
    }

    SqlPlanner(Spillway sw, Map<String, LazyFrame> tables) {
        this.sw = sw;
        this.tables = tables;
    }

    // ------------------------------------------------------------------ queries

    /** Plans a query whose output columns are named as its SELECT list says. */
    Output query(Select select) {
        Output out = planSelect(select, null);
        List<Expr> named = new ArrayList<>();
        List<String> names = uniqueNames(out.names());
        List<String> frameNames = out.frame().schema().names();
        for (int i = 0; i < names.size(); i++) {
            named.add(col(frameNames.get(i)).alias(names.get(i)));
        }
        return new Output(out.frame().select(named.toArray(Expr[]::new)), names);
    }

    private static List<String> uniqueNames(List<String> names) {
        List<String> out = new ArrayList<>();
        Set<String> taken = new HashSet<>();
        for (String n : names) {
            String name = n;
            for (int k = 1; !taken.add(name); k++) {
                name = n + "_" + k;
            }
            out.add(name);
        }
        return out;
    }

    /** Plans a SELECT, set operation or parenthesized query; frame columns are internal names. */
    private Output planSelect(Select select, Scope outer) {
        List<String> shadowed = new ArrayList<>();
        Map<String, Relation> saved = new HashMap<>();
        if (select.getWithItemsList() != null) {
            for (WithItem<?> w : select.getWithItemsList()) {
                String name = w.getAlias().getName().toLowerCase(Locale.ROOT);
                Output o = planSelect(w.getSelect(), outer);
                List<String> declared = o.names();
                if (w.getWithItemList() != null) {
                    declared = w.getWithItemList().stream().map(i -> unquote(i.toString())).toList();
                }
                if (ctes.containsKey(name)) {
                    saved.put(name, ctes.get(name));
                }
                shadowed.add(name);
                // Computed once however often the query reads it (TPC-H Q15 compares a CTE's values with its own maximum).
                LazyFrame shared = o.frame().cache();
                ctes.put(name, new Relation(shared, columnsOf(null, declared, shared)));
            }
        }
        try {
            Output out = switch (select) {
                case PlainSelect ps -> plainSelect(ps, outer);
                case SetOperationList set -> setOperation(set, outer);
                case ParenthesedSelect p -> planSelect(p.getSelect(), outer);
                default -> throw new SqlException("unsupported query form: " + select);
            };
            if (!(select instanceof PlainSelect)) {
                out = orderAndLimit(out, select.getOrderByElements(), select.getLimit(), select.getOffset());
            }
            return out;
        } finally {
            for (String n : shadowed) {
                ctes.remove(n);
            }
            ctes.putAll(saved);
        }
    }

    /**
     * UNION [ALL], INTERSECT and EXCEPT, left to right (INTERSECT mixed with the others must be
     * parenthesized, since it binds tighter in SQL). INTERSECT and EXCEPT are the distinct rows of
     * the left input with (without) an equal row in the right one, nulls equal to nulls: a semi
     * (anti) join on every column.
     */
    private Output setOperation(SetOperationList set, Scope outer) {
        List<Select> parts = set.getSelects();
        List<SetOperation> ops = set.getOperations();
        boolean intersect = ops.stream().anyMatch(o -> o instanceof IntersectOp);
        if (intersect && !ops.stream().allMatch(o -> o instanceof IntersectOp)) {
            throw new SqlException("INTERSECT binds tighter than UNION and EXCEPT; put parentheses around the INTERSECT");
        }
        Output first = planSelect(parts.get(0), outer);
        LazyFrame acc = first.frame();
        for (int i = 1; i < parts.size(); i++) {
            SetOperation op = ops.get(i - 1);
            String kind = op instanceof UnionOp ? "UNION" : op instanceof IntersectOp ? "INTERSECT" : "EXCEPT";
            if (!(op instanceof UnionOp || op instanceof IntersectOp || op instanceof ExceptOp || op instanceof MinusOp)) {
                throw new SqlException("unsupported set operation " + op + "; UNION [ALL], INTERSECT and EXCEPT are");
            }
            if (!(op instanceof UnionOp) && op.toString().toUpperCase(Locale.ROOT).contains("ALL")) {
                throw new SqlException(kind + " ALL is not supported; " + kind + " (distinct rows) is");
            }
            Output next = planSelect(parts.get(i), outer);
            Schema a = acc.schema();
            Schema b = next.frame().schema();
            if (a.size() != b.size()) {
                throw new SqlException(kind + " inputs have " + a.size() + " and " + b.size() + " columns; they need the same number");
            }
            List<Expr> renamed = new ArrayList<>();
            for (int c = 0; c < a.size(); c++) {
                Expr e = col(b.field(c).name());
                if (!a.field(c).sameType(b.field(c))) {
                    if (numeric(a.field(c).type()) && numeric(b.field(c).type())) {
                        e = e.cast(a.field(c).type());
                    } else {
                        throw new SqlException(kind + " column " + (c + 1) + " (" + first.names().get(c) + ") is "
                                + a.field(c).typeName() + " in one input and " + b.field(c).typeName() + " in another");
                    }
                }
                renamed.add(e.alias(a.field(c).name()));
            }
            if (op instanceof UnionOp u) {
                acc = acc.concat(next.frame().select(renamed.toArray(Expr[]::new)));
                if (!u.isAll()) {
                    acc = acc.unique();
                }
                continue;
            }
            // Join keys: every column, as itself where a join key can be that type, else as text.
            List<Expr> leftKeys = new ArrayList<>();
            List<Expr> rightKeys = new ArrayList<>();
            List<String> leftOn = new ArrayList<>();
            List<String> rightOn = new ArrayList<>();
            for (int c = 0; c < a.size(); c++) {
                DataType t = a.field(c).type();
                boolean asIs = t == DataType.INT32 || t == DataType.INT64 || t == DataType.DATE32 || t == DataType.FLOAT64
                        || t == DataType.UTF8;
                String l = fresh("set");
                String r = fresh("set");
                Expr le = col(a.field(c).name());
                Expr re = ((Expr.Alias) renamed.get(c)).input();
                leftKeys.add((asIs ? le : le.cast(DataType.UTF8)).alias(l));
                rightKeys.add((asIs ? re : re.cast(DataType.UTF8)).alias(r));
                leftOn.add(l);
                rightOn.add(r);
            }
            List<Expr> back = new ArrayList<>();
            for (Field f : a) {
                back.add(col(f.name()));
            }
            LazyFrame left = acc.unique().withColumns(leftKeys.toArray(Expr[]::new));
            LazyFrame right = next.frame().select(rightKeys.toArray(Expr[]::new));
            acc = left.join(right, leftOn, rightOn, op instanceof IntersectOp ? JoinType.SEMI : JoinType.ANTI,
                    JoinOptions.defaults().withNullsEqual(true)).select(back.toArray(Expr[]::new));
        }
        return new Output(acc, first.names());
    }

    private static boolean numeric(DataType t) {
        return t == DataType.INT32 || t == DataType.INT64 || t == DataType.FLOAT64 || t == DataType.DECIMAL128;
    }

    /** The state of one PlainSelect while it is planned. */
    private final class SelectState {
        Relation rel;
        Scope scope;
        /** Correlation conjuncts (reading enclosing columns), kept for the caller when it allows them. */
        final List<Expr> correlated = new ArrayList<>();
        final boolean allowCorrelation;

        SelectState(boolean allowCorrelation) {
            this.allowCorrelation = allowCorrelation;
        }
    }

    private Output plainSelect(PlainSelect ps, Scope outer) {
        SelectState st = fromWhere(ps, outer, false);
        return project(ps, st);
    }

    /** Plans FROM and WHERE of {@code ps}; correlated conjuncts stay in {@code st.correlated} when allowed. */
    private SelectState fromWhere(PlainSelect ps, Scope outer, boolean allowCorrelation) {
        SelectState st = new SelectState(allowCorrelation);
        List<Relation> components = new ArrayList<>();
        if (ps.getFromItem() == null) {
            components.add(new Relation(sw.range(fresh("dummy"), 0, 1), new ArrayList<>()));
        } else {
            components.add(fromItem(ps.getFromItem(), outer));
        }
        if (ps.getJoins() != null) {
            for (Join j : ps.getJoins()) {
                boolean comma = j.isSimple() || (j.isCross() && j.getOnExpressions().isEmpty())
                        || (j.getOnExpressions().isEmpty() && (j.getUsingColumns() == null || j.getUsingColumns().isEmpty()) && !j.isNatural()
                        && !j.isLeft() && !j.isRight() && !j.isFull());
                Relation right = fromItem(j.getRightItem(), outer);
                if (comma) {
                    components.add(right);
                } else {
                    int last = components.size() - 1;
                    components.set(last, explicitJoin(components.get(last), right, j, outer));
                }
            }
        }
        List<Scope.Column> all = new ArrayList<>();
        for (Relation r : components) {
            all.addAll(r.columns());
        }
        Scope scope = new Scope(all, outer);
        List<Expression> subqueryConjuncts = new ArrayList<>();
        List<Expr> plain = new ArrayList<>();
        if (ps.getWhere() != null) {
            for (Expression c : conjuncts(ps.getWhere())) {
                if (hasSubquery(c)) {
                    subqueryConjuncts.add(c);
                } else {
                    plain.addAll(exprConjuncts(factorOr(bind(c, scope, null))));
                }
            }
        }
        pushInSubqueries(subqueryConjuncts, components, scope, outer);
        List<Expr> local = new ArrayList<>();
        for (Expr c : plain) {
            if (readsOuter(c, scope)) {
                if (!allowCorrelation) {
                    throw new SqlException("correlated subquery predicate " + display(c, scope)
                            + " is only supported in EXISTS, NOT EXISTS and scalar subqueries");
                }
                st.correlated.add(c);
            } else {
                local.add(c);
            }
        }
        Relation joined = joinComponents(components, local);
        st.rel = joined;
        st.scope = new Scope(joined.columns(), outer);
        for (Expression c : subqueryConjuncts) {
            applySubqueryConjunct(c, st);
        }
        return st;
    }

    /**
     * Applies each uncorrelated {@code x [NOT] IN (subquery)} whose {@code x} reads one FROM item
     * only to that item, before the items are joined: the semi (anti) join then shrinks the item
     * instead of the joined rows. Applied conjuncts are removed from {@code conjuncts}.
     */
    private void pushInSubqueries(List<Expression> conjuncts, List<Relation> components, Scope scope, Scope outer) {
        if (components.size() < 2) {
            return;
        }
        for (var it = conjuncts.iterator(); it.hasNext(); ) {
            Expression e = unwrap(it.next());
            boolean negated = false;
            if (e instanceof NotExpression n) {
                negated = true;
                e = unwrap(n.getExpression());
            }
            if (!(e instanceof InExpression in) || !(in.getRightExpression() instanceof Select sub)
                    || hasSubquery(in.getLeftExpression()) || !(unwrapSelect(sub) instanceof PlainSelect ps)
                    || referencesOuter(ps, scope)) {
                continue;
            }
            Expr x = bind(in.getLeftExpression(), scope, null);
            if (x.columns().isEmpty() || readsOuter(x, scope)) {
                continue;
            }
            for (int k = 0; k < components.size(); k++) {
                Relation r = components.get(k);
                if (internals(r.columns()).containsAll(x.columns())) {
                    SelectState item = new SelectState(false);
                    item.rel = r;
                    item.scope = new Scope(r.columns(), outer);
                    inSubquery(in.getLeftExpression(), ps, negated != in.isNot(), item);
                    components.set(k, item.rel);
                    it.remove();
                    break;
                }
            }
        }
    }

    // ------------------------------------------------------------------ FROM items

    private Relation fromItem(FromItem item, Scope outer) {
        String alias = item.getAlias() == null ? null : unquote(item.getAlias().getName()).toLowerCase(Locale.ROOT);
        List<String> aliasColumns = item.getAlias() == null || item.getAlias().getAliasColumns() == null ? null
                : item.getAlias().getAliasColumns().stream().map(c -> unquote(c.name)).toList();
        Relation base;
        String qualifier;
        switch (item) {
            case Table t -> {
                String name = unquote(t.getName()).toLowerCase(Locale.ROOT);
                qualifier = alias != null ? alias : name;
                Relation cte = ctes.get(name);
                if (cte != null) {
                    base = cte;
                } else {
                    LazyFrame f = tables.get(name);
                    if (f == null) {
                        throw new SqlException(unknownTable(t.getName()));
                    }
                    base = new Relation(f, columnsOf(null, f.schema().names(), f));
                }
            }
            case TableFunction tf -> {
                qualifier = alias != null ? alias : tf.getFunction().getName().toLowerCase(Locale.ROOT);
                LazyFrame f = tableFunction(tf.getFunction());
                base = new Relation(f, columnsOf(null, f.schema().names(), f));
            }
            case ParenthesedSelect sub -> {
                if (alias == null) {
                    alias = fresh("subquery");
                }
                qualifier = alias;
                Output o = planSelect(sub.getSelect(), outer);
                base = new Relation(o.frame(), columnsOf(null, o.names(), o.frame()));
            }
            case ParenthesedFromItem p -> {
                return fromItem(p.getFromItem(), outer);
            }
            default -> throw new SqlException("unsupported FROM item: " + item);
        }
        List<Scope.Column> cols = base.columns();
        if (aliasColumns != null && aliasColumns.size() > cols.size()) {
            throw new SqlException("alias " + alias + " names " + aliasColumns.size() + " columns but the table has "
                    + cols.size());
        }
        List<Expr> renames = new ArrayList<>();
        List<Scope.Column> out = new ArrayList<>();
        for (int i = 0; i < cols.size(); i++) {
            String name = aliasColumns != null && i < aliasColumns.size() ? aliasColumns.get(i) : cols.get(i).name();
            String internal = fresh(name);
            renames.add(col(cols.get(i).internal()).alias(internal));
            Schema bs = base.frame().schema();
            int at = bs.indexOf(cols.get(i).internal());
            if (at >= 0) {
                types.put(internal, bs.field(at).withName(internal));
            }
            out.add(new Scope.Column(qualifier, name, internal, false));
        }
        return new Relation(base.frame().select(renames.toArray(Expr[]::new)), out);
    }

    private String unknownTable(String name) {
        List<String> known = new ArrayList<>(tables.keySet());
        known.addAll(ctes.keySet());
        String target = name.toLowerCase(Locale.ROOT);
        List<String> near = known.stream()
                .sorted((a, b) -> Integer.compare(Scope.distance(target, a), Scope.distance(target, b)))
                .limit(3).toList();
        return "table '" + name + "' does not exist" + (near.isEmpty() ? "; no table is registered"
                : "; did you mean " + String.join(", ", near) + "?")
                + " (register one with SqlContext.register, or read files with read_parquet('glob'))";
    }

    private LazyFrame tableFunction(Function f) {
        String name = f.getName().toLowerCase(Locale.ROOT);
        List<Expression> params = new ArrayList<>();
        if (f.getParameters() != null) {
            params.addAll(f.getParameters());
        }
        if (params.size() != 1 || !(params.get(0) instanceof StringValue path)) {
            throw new SqlException(name + " takes one string argument, the file or glob, e.g. " + name + "('data/*.parquet')");
        }
        Path p = Path.of(path.getValue());
        return switch (name) {
            case "read_parquet" -> sw.scanParquet(p);
            case "read_csv", "read_csv_auto" -> sw.scanCsv(p, CsvOptions.defaults().withHeader(true));
            case "read_ipc", "read_arrow", "read_feather" -> sw.scanIpc(p);
            default -> throw new SqlException("unknown table function " + f.getName()
                    + "; the table functions are read_parquet, read_csv and read_ipc");
        };
    }

    private List<Scope.Column> columnsOf(String qualifier, List<String> names, LazyFrame frame) {
        List<String> internals = frame.schema().names();
        List<Scope.Column> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            out.add(new Scope.Column(qualifier, names.get(i), internals.get(i), false));
        }
        return out;
    }

    private String fresh(String name) {
        return name + "#" + (++counter);
    }

    // ------------------------------------------------------------------ joins

    private Relation explicitJoin(Relation left, Relation right, Join j, Scope outer) {
        JoinType how = j.isLeft() ? JoinType.LEFT : j.isRight() ? JoinType.RIGHT : j.isFull() ? JoinType.FULL : JoinType.INNER;
        if (j.isNatural()) {
            throw new SqlException("NATURAL joins are not supported; use JOIN ... USING (columns)");
        }
        List<Scope.Column> both = new ArrayList<>(left.columns());
        List<Scope.Column> rightCols = new ArrayList<>(right.columns());
        List<Expr> conds = new ArrayList<>();
        Scope scope = new Scope(concat(left.columns(), right.columns()), outer);
        if (j.getUsingColumns() != null && !j.getUsingColumns().isEmpty()) {
            Scope ls = new Scope(left.columns(), null);
            Scope rs = new Scope(right.columns(), null);
            for (Column c : j.getUsingColumns()) {
                String n = unquote(c.getColumnName());
                Scope.Column l = ls.resolve(null, n, isQuoted(c.getColumnName()));
                Scope.Column r = rs.resolve(null, n, isQuoted(c.getColumnName()));
                if (l == null || r == null) {
                    throw new SqlException("USING column " + n + " is not in both inputs of the join");
                }
                conds.add(col(l.internal()).eq(col(r.internal())));
                rightCols.set(rightCols.indexOf(r), new Scope.Column(r.qualifier(), r.name(), r.internal(), true));
            }
        } else {
            for (Expression on : j.getOnExpressions()) {
                conds.addAll(exprConjuncts(factorOr(bind(on, scope, null))));
            }
        }
        both.addAll(rightCols);
        Set<String> leftNames = internals(left.columns());
        Set<String> rightNames = internals(right.columns());
        List<String> leftOn = new ArrayList<>();
        List<String> rightOn = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        // Conditions on a side whose rows the join keeps: such a row stays, but matches nothing
        // when its condition is not true (its join key is made null).
        List<Expr> leftGuards = new ArrayList<>();
        List<Expr> rightGuards = new ArrayList<>();
        LazyFrame lf = left.frame();
        LazyFrame rf = right.frame();
        for (Expr c : conds) {
            Set<String> cols = c.columns();
            String[] pair = equiPair(c, leftNames, rightNames);
            if (pair != null) {
                leftOn.add(pair[0]);
                rightOn.add(pair[1]);
            } else if (!cols.isEmpty() && rightNames.containsAll(cols) && (how == JoinType.INNER || how == JoinType.LEFT)) {
                rf = rf.filter(c);
            } else if (!cols.isEmpty() && leftNames.containsAll(cols) && (how == JoinType.INNER || how == JoinType.RIGHT)) {
                lf = lf.filter(c);
            } else if (!cols.isEmpty() && rightNames.containsAll(cols)) {
                rightGuards.add(c);
            } else if (!cols.isEmpty() && leftNames.containsAll(cols)) {
                leftGuards.add(c);
            } else {
                rest.add(c);
            }
        }
        if (leftOn.isEmpty()) {
            if (how == JoinType.INNER) {
                LazyFrame f = rest.isEmpty() ? lf.crossJoin(rf) : lf.joinWhere(rf, rest.toArray(Expr[]::new));
                return new Relation(f, both);
            }
            List<Expr> all = new ArrayList<>(rest);
            all.addAll(leftGuards);
            all.addAll(rightGuards);
            if (all.isEmpty()) {
                throw new SqlException(how + " JOIN needs a condition between the two inputs in its ON clause");
            }
            // Outer joins on conditions other than equalities: the nested-loop join keeps the
            // preserved side's unmatched rows (a guard on that side only decides matching).
            return new Relation(lf.joinWhere(rf, how, all.toArray(Expr[]::new)), both);
        }
        if (!rest.isEmpty() && how != JoinType.INNER) {
            List<Expr> all = new ArrayList<>(rest);
            all.addAll(leftGuards);
            all.addAll(rightGuards);
            for (int i = 0; i < leftOn.size(); i++) {
                all.add(col(leftOn.get(i)).eq(col(rightOn.get(i))));
            }
            return new Relation(lf.joinWhere(rf, how, all.toArray(Expr[]::new)), both);
        }
        if (how == JoinType.INNER) {
            Relation r = equiJoin(new Relation(lf, left.columns()), new Relation(rf, rightCols), leftOn, rightOn,
                    new HashMap<>(), BuildSide.AUTO);
            LazyFrame f = r.frame();
            for (Expr c : rest) {
                f = f.filter(c);
            }
            List<Scope.Column> cols = new ArrayList<>(r.columns());
            return new Relation(f, cols);
        }
        // Outer joins keep both sides' keys as they are (null where unmatched): join on copies.
        List<String> lk = new ArrayList<>();
        List<String> rk = new ArrayList<>();
        List<Expr> lcopies = new ArrayList<>();
        List<Expr> rcopies = new ArrayList<>();
        for (int i = 0; i < leftOn.size(); i++) {
            String a = fresh("key");
            String b = fresh("key");
            lcopies.add(guarded(col(leftOn.get(i)), leftGuards).alias(a));
            rcopies.add(guarded(col(rightOn.get(i)), rightGuards).alias(b));
            lk.add(a);
            rk.add(b);
        }
        LazyFrame joined = lf.withColumns(lcopies.toArray(Expr[]::new)).join(rf.withColumns(rcopies.toArray(Expr[]::new)),
                lk, rk, how);
        List<Expr> keep = new ArrayList<>();
        for (Scope.Column c : both) {
            keep.add(col(c.internal()));
        }
        return new Relation(joined.select(keep.toArray(Expr[]::new)), both);
    }

    private static Expr guarded(Expr key, List<Expr> guards) {
        return guards.isEmpty() ? key : Expr.when(andAll(guards)).then(key).otherwise(lit(null));
    }

    /** {@code [left, right]} internal names when {@code c} is {@code leftCol = rightCol} (either order), else null. */
    private static String[] equiPair(Expr c, Set<String> leftNames, Set<String> rightNames) {
        if (c instanceof Expr.Binary b && b.op() == BinaryOp.EQ && b.left() instanceof Expr.Column x
                && b.right() instanceof Expr.Column y) {
            if (leftNames.contains(x.name()) && rightNames.contains(y.name())) {
                return new String[] {x.name(), y.name()};
            }
            if (leftNames.contains(y.name()) && rightNames.contains(x.name())) {
                return new String[] {y.name(), x.name()};
            }
        }
        return null;
    }

    /**
     * Inner equi-join of two relations. The join drops the right key columns; names of them are
     * pointed at the equal left keys (recorded in {@code renamed} for predicates bound earlier).
     */
    private Relation equiJoin(Relation left, Relation right, List<String> leftOn, List<String> rightOn,
            Map<String, String> renamed, BuildSide buildSide) {
        Schema ls = left.frame().schema();
        Schema rs = right.frame().schema();
        LazyFrame rf = right.frame();
        List<String> rk = new ArrayList<>(rightOn);
        for (int i = 0; i < leftOn.size(); i++) {
            var lt = ls.field(ls.indexOf(leftOn.get(i)));
            var rt = rs.field(rs.indexOf(rightOn.get(i)));
            if (!lt.sameType(rt)) {
                if (numeric(lt.type()) && numeric(rt.type())) {
                    String copy = fresh("key");
                    rf = rf.withColumns(col(rightOn.get(i)).cast(lt.type()).alias(copy));
                    rk.set(i, copy);
                } else {
                    throw new SqlException("cannot join " + displayOf(left, leftOn.get(i)) + " (" + lt.typeName() + ") with "
                            + displayOf(right, rightOn.get(i)) + " (" + rt.typeName() + "): the types differ; CAST one side");
                }
            }
        }
        LazyFrame f = left.frame().join(rf, leftOn, rk, JoinType.INNER, JoinOptions.defaults().withBuildSide(buildSide));
        List<Scope.Column> cols = new ArrayList<>(left.columns());
        for (Scope.Column c : right.columns()) {
            int k = rightOn.indexOf(c.internal());
            if (k >= 0 && rk.get(k).equals(c.internal())) {
                renamed.put(c.internal(), leftOn.get(k));
                cols.add(c.withInternal(leftOn.get(k)));
            } else {
                cols.add(c);
            }
        }
        return new Relation(f, cols);
    }

    private static String displayOf(Relation r, String internal) {
        return new Scope(r.columns(), null).displayName(internal);
    }

    /**
     * Joins comma-separated FROM items by the equalities of {@code conjuncts}, filtering each item
     * by the conjuncts that read it alone first. The join order is greedy (smallest estimated
     * result first, see {@link Cardinality}), so the result may be a bushy tree: each step joins the
     * pair of connected relations whose join is estimated smallest, hashing the smaller of the two,
     * and applies every conjunct that the joined relation can now evaluate. Relations with no
     * equality between them are cross-joined, smallest first, once nothing connected is left.
     */
    private Relation joinComponents(List<Relation> components, List<Expr> conjuncts) {
        List<Relation> comps = new ArrayList<>(components);
        List<Set<String>> names = new ArrayList<>();
        List<Double> sizes = new ArrayList<>();
        for (Relation r : comps) {
            names.add(internals(r.columns()));
            sizes.add(Cardinality.rows(r.frame()));
        }
        List<Expr> residual = new ArrayList<>();
        List<Expr> edges = new ArrayList<>();
        for (Expr c : conjuncts) {
            Set<String> cols = c.columns();
            int only = -1;
            boolean single = !cols.isEmpty();
            for (int i = 0; i < comps.size() && single; i++) {
                if (names.get(i).containsAll(cols)) {
                    only = i;
                    break;
                }
            }
            if (only >= 0) {
                Relation r = comps.get(only);
                sizes.set(only, sizes.get(only) * Cardinality.selectivity(c, EngineInternals.logicalPlan(r.frame())));
                comps.set(only, new Relation(r.frame().filter(c), r.columns()));
            } else if (c instanceof Expr.Binary b && b.op() == BinaryOp.EQ && b.left() instanceof Expr.Column
                    && b.right() instanceof Expr.Column) {
                edges.add(c);
            } else {
                residual.add(c);
            }
        }
        // An OR over several items implies, for each item that every branch restricts, the OR of
        // those restrictions: (n1 = 'A' and n2 = 'B') or (n1 = 'B' and n2 = 'A') filters n1 and
        // n2 to 'A' or 'B' each before the joins (the OR itself is still checked after them).
        for (Expr c : residual) {
            for (int k = 0; k < comps.size(); k++) {
                Expr implied = impliedFilter(c, names.get(k));
                if (implied != null) {
                    Relation r = comps.get(k);
                    sizes.set(k, sizes.get(k) * Cardinality.selectivity(implied, EngineInternals.logicalPlan(r.frame())));
                    comps.set(k, new Relation(r.frame().filter(implied), r.columns()));
                }
            }
        }
        Map<String, String> renamed = new HashMap<>();
        while (comps.size() > 1) {
            int bestI = -1;
            int bestJ = -1;
            double best = Double.MAX_VALUE;
            for (int i = 0; i < comps.size(); i++) {
                for (int j = i + 1; j < comps.size(); j++) {
                    if (!joinKeys(edges, renamed, names.get(i), names.get(j)).used().isEmpty()) {
                        double cost = joinRows(comps.get(i), sizes.get(i), names.get(i), comps.get(j), sizes.get(j),
                                names.get(j), edges, renamed);
                        if (cost < best) {
                            best = cost;
                            bestI = i;
                            bestJ = j;
                        }
                    }
                }
            }
            boolean cross = bestI < 0;
            if (cross) {
                // Nothing connected: the two smallest, by a product of rows.
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < comps.size(); i++) {
                    order.add(i);
                }
                order.sort((x, y) -> Double.compare(sizes.get(x), sizes.get(y)));
                bestI = Math.min(order.get(0), order.get(1));
                bestJ = Math.max(order.get(0), order.get(1));
            }
            // The larger relation probes; the smaller one is hashed (or materialized, for a cross join).
            boolean swap = sizes.get(bestJ) > sizes.get(bestI);
            int l = swap ? bestJ : bestI;
            int r = swap ? bestI : bestJ;
            Relation joined;
            double size;
            if (cross) {
                Relation a = comps.get(l);
                Relation b = comps.get(r);
                joined = new Relation(a.frame().crossJoin(b.frame()), concat(a.columns(), b.columns()));
                size = sizes.get(l) * sizes.get(r);
            } else {
                JoinKeys keys = joinKeys(edges, renamed, names.get(l), names.get(r));
                edges.removeAll(keys.used());
                // A second equality on the same right key: checked after the join.
                residual.addAll(keys.extra());
                size = Cardinality.join(EngineInternals.logicalPlan(comps.get(l).frame()), sizes.get(l), EngineInternals.logicalPlan(comps.get(r).frame()),
                        sizes.get(r), keys.leftOn(), keys.rightOn());
                joined = equiJoin(comps.get(l), comps.get(r), keys.leftOn(), keys.rightOn(), renamed, BuildSide.RIGHT);
            }
            Set<String> joinedNames = new HashSet<>(names.get(l));
            joinedNames.addAll(names.get(r));
            // Conjuncts the joined relation can now evaluate: leftover equalities inside it, and the rest.
            LazyFrame f = joined.frame();
            for (List<Expr> pending : List.of(edges, residual)) {
                for (var it = pending.iterator(); it.hasNext(); ) {
                    Expr c = rename(it.next(), renamed);
                    if (joinedNames.containsAll(c.columns())) {
                        size *= Cardinality.selectivity(c, EngineInternals.logicalPlan(f));
                        f = f.filter(c);
                        it.remove();
                    }
                }
            }
            int hi = Math.max(l, r);
            int lo = Math.min(l, r);
            for (int k : new int[] {hi, lo}) {
                comps.remove(k);
                names.remove(k);
                sizes.remove(k);
            }
            comps.add(lo, new Relation(f, joined.columns()));
            names.add(lo, joinedNames);
            sizes.add(lo, size);
        }
        residual.addAll(edges);
        Relation acc = comps.get(0);
        LazyFrame f = acc.frame();
        for (Expr r : residual) {
            f = f.filter(rename(r, renamed));
        }
        return new Relation(f, acc.columns());
    }

    /**
     * For an OR whose every branch has conjuncts reading only {@code names}: the OR of those
     * conjuncts, which every row passing {@code c} passes; otherwise null.
     */
    private static Expr impliedFilter(Expr c, Set<String> names) {
        List<Expr> branches = new ArrayList<>();
        flatten(c, BinaryOp.OR, branches);
        if (branches.size() < 2) {
            return null;
        }
        Expr implied = null;
        for (Expr branch : branches) {
            List<Expr> conjuncts = new ArrayList<>();
            flatten(branch, BinaryOp.AND, conjuncts);
            Expr mine = null;
            for (Expr x : conjuncts) {
                if (!x.columns().isEmpty() && names.containsAll(x.columns())) {
                    mine = mine == null ? x : mine.and(x);
                }
            }
            if (mine == null) {
                return null;
            }
            implied = implied == null ? mine : implied.or(mine);
        }
        return implied;
    }

    private static void flatten(Expr e, BinaryOp op, List<Expr> out) {
        if (e instanceof Expr.Binary b && b.op() == op) {
            flatten(b.left(), op, out);
            flatten(b.right(), op, out);
        } else {
            out.add(e);
        }
    }

    /**
     * The equalities of {@code edges} between {@code left} and {@code right} names: key pairs (one
     * per right key), the equalities used, and the extra ones on a right key already paired.
     */
    private record JoinKeys(List<String> leftOn, List<String> rightOn, List<Expr> used, List<Expr> extra) {
    }

    private static JoinKeys joinKeys(List<Expr> edges, Map<String, String> renamed, Set<String> left, Set<String> right) {
        JoinKeys keys = new JoinKeys(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (Expr e : edges) {
            String[] pair = equiPair(rename(e, renamed), left, right);
            if (pair == null) {
                continue;
            }
            keys.used().add(e);
            if (keys.rightOn().contains(pair[1])) {
                keys.extra().add(e);
            } else {
                keys.leftOn().add(pair[0]);
                keys.rightOn().add(pair[1]);
            }
        }
        return keys;
    }

    /** The estimated rows of the equi-join of two relations on the equalities of {@code edges} between them. */
    private static double joinRows(Relation a, double aRows, Set<String> aNames, Relation b, double bRows, Set<String> bNames,
            List<Expr> edges, Map<String, String> renamed) {
        JoinKeys keys = joinKeys(edges, renamed, aNames, bNames);
        return Cardinality.join(EngineInternals.logicalPlan(a.frame()), aRows, EngineInternals.logicalPlan(b.frame()), bRows, keys.leftOn(), keys.rightOn());
    }

    private static Expr rename(Expr e, Map<String, String> renamed) {
        if (renamed.isEmpty()) {
            return e;
        }
        if (e instanceof Expr.Column c) {
            String to = renamed.get(c.name());
            while (to != null && renamed.containsKey(to)) {
                to = renamed.get(to);
            }
            return to == null ? e : col(to);
        }
        List<Expr> kids = e.children();
        if (kids.isEmpty()) {
            return e;
        }
        List<Expr> out = new ArrayList<>();
        for (Expr k : kids) {
            out.add(rename(k, renamed));
        }
        return e.withChildren(out);
    }

    private static Set<String> internals(List<Scope.Column> cols) {
        Set<String> out = new LinkedHashSet<>();
        for (Scope.Column c : cols) {
            out.add(c.internal());
        }
        return out;
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    // ------------------------------------------------------------------ subqueries in WHERE

    private static boolean hasSubquery(Expression e) {
        if (e instanceof ExistsExpression || e instanceof Select) {
            return true;
        }
        if (e instanceof InExpression in) {
            return in.getRightExpression() instanceof Select || hasSubquery(in.getLeftExpression());
        }
        if (e instanceof NotExpression n) {
            return hasSubquery(n.getExpression());
        }
        if (e instanceof BinaryExpression b) {
            return hasSubquery(b.getLeftExpression()) || hasSubquery(b.getRightExpression());
        }
        if (e instanceof ParenthesedExpressionList<?> p) {
            for (Expression x : p) {
                if (hasSubquery(x)) {
                    return true;
                }
            }
        }
        if (e instanceof Between b) {
            return hasSubquery(b.getLeftExpression()) || hasSubquery(b.getBetweenExpressionStart())
                    || hasSubquery(b.getBetweenExpressionEnd());
        }
        return false;
    }

    private void applySubqueryConjunct(Expression c, SelectState st) {
        Expression e = unwrap(c);
        boolean negated = false;
        if (e instanceof NotExpression n) {
            negated = true;
            e = unwrap(n.getExpression());
        }
        if (e instanceof ExistsExpression ex) {
            Select sub = (Select) ex.getRightExpression();
            exists(unwrapSelect(sub), negated != ex.isNot(), st);
            return;
        }
        if (e instanceof InExpression in && in.getRightExpression() instanceof Select sub) {
            inSubquery(in.getLeftExpression(), unwrapSelect(sub), negated != in.isNot(), st);
            return;
        }
        if (negated) {
            e = c;
        }
        // Scalar subqueries inside an expression: attach each, then filter.
        Expr bound = bind(e, st.scope, sub -> scalarSubquery(sub, st));
        if (readsOuter(bound, st.scope)) {
            throw new SqlException("a predicate with both a subquery and a correlated column is not supported: " + c);
        }
        st.rel = new Relation(st.rel.frame().filter(bound), st.rel.columns());
    }

    private static Select unwrapSelect(Select s) {
        return s instanceof ParenthesedSelect p && p.getWithItemsList() == null && p.getOrderByElements() == null
                && p.getLimit() == null ? unwrapSelect(p.getSelect()) : s;
    }

    /** EXISTS / NOT EXISTS as a semi or anti join on the subquery's correlations. */
    private void exists(Select sub, boolean anti, SelectState st) {
        if (!(sub instanceof PlainSelect ps) || ps.getGroupBy() != null || ps.getHaving() != null) {
            Output o = planSelect(sub, st.scope);
            // Uncorrelated: keep every row or none by the subquery's row count.
            LazyFrame count = o.frame().select(Expr.rowCount().alias(fresh("exists")));
            String n = count.schema().names().get(0);
            Expr keep = anti ? col(n).eq(lit(0L)) : col(n).gt(lit(0L));
            List<Expr> keepCols = keepColumns(st.rel.columns());
            st.rel = new Relation(st.rel.frame().crossJoin(count).filter(keep).select(keepCols.toArray(Expr[]::new)),
                    st.rel.columns());
            return;
        }
        SelectState inner = fromWhere(ps, st.scope, true);
        Correlation corr = correlation(inner, st);
        if (corr.leftOn.isEmpty()) {
            if (!corr.residual.isEmpty()) {
                LazyFrame f = st.rel.frame().joinWhere(inner.rel.frame(), anti ? JoinType.ANTI : JoinType.SEMI,
                        corr.residual.toArray(Expr[]::new));
                st.rel = new Relation(f, st.rel.columns());
                return;
            }
            LazyFrame count = inner.rel.frame().select(Expr.rowCount().alias(fresh("exists")));
            String n = count.schema().names().get(0);
            Expr keep = anti ? col(n).eq(lit(0L)) : col(n).gt(lit(0L));
            st.rel = new Relation(st.rel.frame().crossJoin(count).filter(keep)
                    .select(keepColumns(st.rel.columns()).toArray(Expr[]::new)), st.rel.columns());
            return;
        }
        LazyFrame outer = corr.outerFrame;
        if (corr.residual.isEmpty()) {
            LazyFrame right = corr.innerFrame.select(corr.rightOn.stream().map(Expr::col).toArray(Expr[]::new));
            st.rel = new Relation(dropExtra(outer.join(right, corr.leftOn, corr.rightOn, anti ? JoinType.ANTI : JoinType.SEMI),
                    st.rel.columns()), st.rel.columns());
            return;
        }
        Expr minMax = corr.residual.size() == 1 ? minMaxRewrite(corr, anti, st) : null;
        if (minMax != null) {
            return;
        }
        List<Expr> preds = new ArrayList<>(corr.residual);
        for (int i = 0; i < corr.leftOn.size(); i++) {
            preds.add(col(corr.leftOn.get(i)).eq(col(corr.rightOn.get(i))));
        }
        LazyFrame f = outer.joinWhere(corr.innerFrame, anti ? JoinType.ANTI : JoinType.SEMI, preds.toArray(Expr[]::new));
        st.rel = new Relation(dropExtra(f, st.rel.columns()), st.rel.columns());
    }

    private static LazyFrame dropExtra(LazyFrame f, List<Scope.Column> keep) {
        if (f.schema().size() == internals(keep).size()) {
            return f;
        }
        return f.select(keepColumns(keep).toArray(Expr[]::new));
    }

    private static List<Expr> keepColumns(List<Scope.Column> cols) {
        List<Expr> out = new ArrayList<>();
        for (String n : internals(cols)) {
            out.add(col(n));
        }
        return out;
    }

    /**
     * One residual correlation {@code inner op outer} beside the equality keys: EXISTS holds when
     * some inner value of the key compares true with the outer value, which the key's minimum and
     * maximum decide ({@code <>}: not both equal to it; {@code <}: the minimum; {@code >}: the
     * maximum). Returns null when the residual has another form.
     */
    private Expr minMaxRewrite(Correlation corr, boolean anti, SelectState st) {
        Expr r = corr.residual.get(0);
        if (!(r instanceof Expr.Binary b) || !(b.left() instanceof Expr.Column x) || !(b.right() instanceof Expr.Column y)) {
            return null;
        }
        Set<String> innerNames = new HashSet<>(corr.innerFrame.schema().names());
        BinaryOp op = b.op();
        String innerCol;
        String outerCol;
        if (innerNames.contains(x.name()) && !innerNames.contains(y.name())) {
            innerCol = x.name();
            outerCol = y.name();
        } else if (innerNames.contains(y.name()) && !innerNames.contains(x.name())) {
            innerCol = y.name();
            outerCol = x.name();
            op = switch (op) {
                case LT -> BinaryOp.GT;
                case LE -> BinaryOp.GE;
                case GT -> BinaryOp.LT;
                case GE -> BinaryOp.LE;
                default -> op;
            };
        } else {
            return null;
        }
        String mn = fresh("min");
        String mx = fresh("max");
        Expr o = col(outerCol);
        Expr cond = switch (op) {
            case NE -> col(mn).ne(o).or(col(mx).ne(o));
            case LT -> col(mn).lt(o);
            case LE -> col(mn).le(o);
            case GT -> col(mx).gt(o);
            case GE -> col(mx).ge(o);
            default -> null;
        };
        if (cond == null) {
            return null;
        }
        LazyFrame agg = corr.innerFrame.groupBy(corr.rightOn.toArray(String[]::new))
                .agg(col(innerCol).min().alias(mn), col(innerCol).max().alias(mx));
        LazyFrame f;
        if (anti) {
            f = corr.outerFrame.join(agg, corr.leftOn, corr.rightOn, JoinType.LEFT)
                    .filter(Expr.coalesce(cond, lit(false)).not());
        } else {
            f = corr.outerFrame.join(agg, corr.leftOn, corr.rightOn, JoinType.INNER).filter(cond);
        }
        st.rel = new Relation(f.select(keepColumns(st.rel.columns()).toArray(Expr[]::new)), st.rel.columns());
        return cond;
    }

    /** The correlation of a subquery: equality keys (outer, inner) and the other correlated conjuncts. */
    private static final class Correlation {
        LazyFrame outerFrame;
        LazyFrame innerFrame;
        final List<String> leftOn = new ArrayList<>();
        final List<String> rightOn = new ArrayList<>();
        final List<Expr> residual = new ArrayList<>();
    }

    private Correlation correlation(SelectState inner, SelectState outerState) {
        Correlation corr = new Correlation();
        corr.outerFrame = outerState.rel.frame();
        corr.innerFrame = inner.rel.frame();
        Set<String> outerNames = internals(outerState.rel.columns());
        Set<String> innerNames = internals(inner.rel.columns());
        for (Expr c : inner.correlated) {
            for (String n : c.columns()) {
                if (!outerNames.contains(n) && !innerNames.contains(n)) {
                    throw new SqlException("a subquery may only refer to the query right around it; "
                            + inner.scope.displayName(n) + " is further out");
                }
            }
            if (c instanceof Expr.Binary b && b.op() == BinaryOp.EQ) {
                Expr l = b.left();
                Expr r = b.right();
                if (innerNames.containsAll(l.columns()) && outerNames.containsAll(r.columns())) {
                    Expr t = l;
                    l = r;
                    r = t;
                }
                if (!l.columns().isEmpty() && outerNames.containsAll(l.columns()) && !r.columns().isEmpty()
                        && innerNames.containsAll(r.columns())) {
                    String lk = l instanceof Expr.Column lc ? lc.name() : null;
                    String rk = r instanceof Expr.Column rc ? rc.name() : null;
                    if (lk == null) {
                        lk = fresh("key");
                        corr.outerFrame = corr.outerFrame.withColumns(l.alias(lk));
                    }
                    if (rk == null) {
                        rk = fresh("key");
                        corr.innerFrame = corr.innerFrame.withColumns(r.alias(rk));
                    }
                    corr.leftOn.add(lk);
                    corr.rightOn.add(rk);
                    continue;
                }
            }
            corr.residual.add(c);
        }
        return corr;
    }

    /** {@code x [NOT] IN (subquery)}: a semi or anti join on x = the subquery's column. */
    private void inSubquery(Expression left, Select sub, boolean anti, SelectState st) {
        Output o = planSelect(sub, st.scope);
        if (o.names().size() != 1) {
            throw new SqlException("the subquery of IN returns " + o.names().size() + " columns; it must return one");
        }
        Expr x = bind(left, st.scope, null);
        LazyFrame outer = st.rel.frame();
        String key;
        if (x instanceof Expr.Column c) {
            key = c.name();
        } else {
            key = fresh("in");
            outer = outer.withColumns(x.alias(key));
        }
        String inner = o.frame().schema().names().get(0);
        var lt = outer.schema().field(outer.schema().indexOf(key));
        var rt = o.frame().schema().field(0);
        LazyFrame right = o.frame();
        if (!lt.sameType(rt)) {
            if (!numeric(lt.type()) || !numeric(rt.type())) {
                throw new SqlException("cannot compare " + left + " (" + lt.typeName() + ") with the IN subquery's column ("
                        + rt.typeName() + ")");
            }
            String copy = fresh("in");
            right = right.select(col(inner).cast(lt.type()).alias(copy));
            inner = copy;
        }
        if (anti) {
            // SQL's three-valued NOT IN: true for every row when the subquery is empty; otherwise
            // never true when the subquery holds a null or x is null (null or false), and true
            // when x is none of the values.
            right = right.cache();
            String rows = fresh("in");
            String values = fresh("in");
            LazyFrame counts = right.select(Expr.rowCount().alias(rows), col(inner).count().alias(values));
            outer = outer.crossJoin(counts)
                    .filter(col(rows).eq(lit(0L)).or(col(values).eq(col(rows)).and(col(key).isNotNull())));
        }
        LazyFrame f = outer.join(right, List.of(key), List.of(inner), anti ? JoinType.ANTI : JoinType.SEMI);
        st.rel = new Relation(dropExtra(f, st.rel.columns()), st.rel.columns());
    }

    /** Attaches a scalar subquery's value to the current relation; returns its column. */
    private Expr scalarSubquery(Select sub, SelectState st) {
        Select s = unwrapSelect(sub);
        String name = fresh("scalar");
        if (s instanceof PlainSelect ps && ps.getGroupBy() == null && ps.getSelectItems().size() == 1
                && referencesOuter(ps, st.scope)) {
            SelectState inner = fromWhere(ps, st.scope, true);
            Correlation corr = correlation(inner, st);
            if (!corr.residual.isEmpty() || corr.leftOn.isEmpty()) {
                throw new SqlException("a correlated scalar subquery must correlate by equalities only (inner = outer);"
                        + " not supported: " + display(corr.residual.isEmpty() ? lit(true) : corr.residual.get(0), inner.scope));
            }
            Scope innerScope = new Scope(inner.rel.columns(), null);
            Expr value = bind(ps.getSelectItems().get(0).getExpression(), innerScope, null);
            Aggregation agg = new Aggregation(innerScope);
            for (String k : corr.rightOn) {
                agg.addKey(col(k), k);
            }
            Expr v = agg.rewrite(value);
            LazyFrame outerFrame = corr.outerFrame;
            LazyFrame innerFrame = corr.innerFrame;
            if (Cardinality.rows(outerFrame) * RESTRICT_RATIO < Cardinality.rows(innerFrame)) {
                // The outer rows look far fewer than the subquery's: aggregate only the groups they
                // ask for. The outer relation is computed once (shared) and its distinct keys
                // semi-join the subquery's input before the aggregation.
                outerFrame = outerFrame.cache();
                List<Expr> keys = new ArrayList<>();
                List<String> keyNames = new ArrayList<>();
                for (String k : corr.leftOn) {
                    String n = fresh("key");
                    keys.add(col(k).alias(n));
                    keyNames.add(n);
                }
                LazyFrame wanted = outerFrame.select(keys.toArray(Expr[]::new)).unique();
                innerFrame = innerFrame.join(wanted, corr.rightOn, keyNames, JoinType.SEMI);
            }
            LazyFrame grouped = agg.apply(innerFrame);
            List<Expr> out = new ArrayList<>();
            for (String k : corr.rightOn) {
                out.add(col(k));
            }
            out.add(v.alias(name));
            LazyFrame values = grouped.select(out.toArray(Expr[]::new));
            LazyFrame f = outerFrame.join(values, corr.leftOn, corr.rightOn, JoinType.LEFT);
            List<Scope.Column> cols = new ArrayList<>(st.rel.columns());
            cols.add(new Scope.Column(null, name, name, true));
            List<Expr> keep = keepColumns(cols);
            st.rel = new Relation(f.select(keep.toArray(Expr[]::new)), cols);
            return col(name);
        }
        Output o = planSelect(s, st.scope);
        if (o.names().size() != 1) {
            throw new SqlException("a scalar subquery must return one column, this one returns " + o.names().size());
        }
        LazyFrame one = o.frame().select(col(o.frame().schema().names().get(0)).alias(name));
        List<Scope.Column> cols = new ArrayList<>(st.rel.columns());
        cols.add(new Scope.Column(null, name, name, true));
        st.rel = new Relation(st.rel.frame().crossJoin(one), cols);
        return col(name);
    }

    /** Whether any column name in the subquery's WHERE resolves only in {@code outer} (a quick syntactic check). */
    private boolean referencesOuter(PlainSelect ps, Scope outer) {
        if (ps.getWhere() == null) {
            return false;
        }
        Relation probe = null;
        try {
            List<Scope.Column> cols = new ArrayList<>();
            if (ps.getFromItem() != null) {
                probe = fromItem(ps.getFromItem(), null);
                cols.addAll(probe.columns());
            }
            if (ps.getJoins() != null) {
                for (Join j : ps.getJoins()) {
                    cols.addAll(fromItem(j.getRightItem(), null).columns());
                }
            }
            Scope local = new Scope(cols, null);
            for (Column c : columnRefs(ps.getWhere())) {
                String q = c.getTable() == null || c.getTable().getName() == null ? null
                        : unquote(c.getTable().getName()).toLowerCase(Locale.ROOT);
                if (local.resolve(q, unquote(c.getColumnName()), isQuoted(c.getColumnName())) == null
                        && outer.resolve(q, unquote(c.getColumnName()), isQuoted(c.getColumnName())) != null) {
                    return true;
                }
            }
            return false;
        } catch (SqlException e) {
            return false;
        }
    }

    private static List<Column> columnRefs(Expression e) {
        List<Column> out = new ArrayList<>();
        e.accept(new net.sf.jsqlparser.expression.ExpressionVisitorAdapter<Void>() {
            @Override
            public <S> Void visit(Column column, S context) {
                out.add(column);
                return null;
            }

            @Override
            public <S> Void visit(ParenthesedSelect select, S context) {
                return null;
            }

            @Override
            public <S> Void visit(ExistsExpression exists, S context) {
                return null;
            }
        }, null);
        return out;
    }

    private boolean readsOuter(Expr e, Scope scope) {
        for (String n : e.columns()) {
            if (scope.isOuter(n)) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ SELECT list, GROUP BY, ORDER BY

    /** Collects aggregates and group keys and rewrites expressions to read the aggregation's output. */
    private final class Aggregation {
        final Scope scope;
        final List<Expr> keys = new ArrayList<>();
        final List<String> keyNames = new ArrayList<>();
        final List<Expr> aggs = new ArrayList<>();
        final List<String> aggNames = new ArrayList<>();
        final Set<String> allowed = new HashSet<>();

        Aggregation(Scope scope) {
            this.scope = scope;
        }

        void addKey(Expr key, String name) {
            keys.add(key);
            keyNames.add(name);
        }

        Expr rewrite(Expr e) {
            int k = keys.indexOf(e);
            if (k >= 0) {
                return col(keyNames.get(k));
            }
            if (e instanceof Expr.Agg a) {
                if (a.input() != null && containsAgg(a.input())) {
                    throw new SqlException("aggregate functions cannot be nested: " + display(e, scope));
                }
                int i = aggs.indexOf(e);
                if (i < 0) {
                    aggs.add(e);
                    aggNames.add(fresh("agg"));
                    i = aggs.size() - 1;
                }
                return col(aggNames.get(i));
            }
            if (e instanceof Expr.Column c) {
                if (allowed.contains(c.name())) {
                    return e;
                }
                throw new SqlException("column " + scope.displayName(c.name())
                        + " must appear in the GROUP BY clause or be used in an aggregate function");
            }
            List<Expr> kids = e.children();
            if (kids.isEmpty()) {
                return e;
            }
            List<Expr> out = new ArrayList<>();
            for (Expr kid : kids) {
                out.add(rewrite(kid));
            }
            return e.withChildren(out);
        }

        LazyFrame apply(LazyFrame f) {
            List<Expr> a = new ArrayList<>();
            for (int i = 0; i < aggs.size(); i++) {
                a.add(aggs.get(i).alias(aggNames.get(i)));
            }
            if (keys.isEmpty()) {
                if (a.isEmpty()) {
                    a.add(Expr.rowCount().alias(fresh("rows")));
                }
                return f.select(a.toArray(Expr[]::new));
            }
            List<Expr> k = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                k.add(keys.get(i) instanceof Expr.Column c && c.name().equals(keyNames.get(i)) ? keys.get(i)
                        : keys.get(i).alias(keyNames.get(i)));
            }
            if (a.isEmpty()) {
                return f.select(k.toArray(Expr[]::new)).unique();
            }
            return f.groupBy(k.toArray(Expr[]::new)).agg(a.toArray(Expr[]::new));
        }
    }

    private static boolean containsAgg(Expr e) {
        if (e instanceof Expr.Agg) {
            return true;
        }
        for (Expr k : e.children()) {
            if (containsAgg(k)) {
                return true;
            }
        }
        return false;
    }

    private Output project(PlainSelect ps, SelectState st) {
        Scope scope = st.scope;
        // Expand the SELECT list.
        List<Expr> items = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (SelectItem<?> item : ps.getSelectItems()) {
            Expression e = item.getExpression();
            if (e instanceof AllTableColumns atc) {
                String q = unquote(atc.getTable().getName()).toLowerCase(Locale.ROOT);
                boolean any = false;
                for (Scope.Column c : scope.columns) {
                    if (q.equals(c.qualifier()) && !c.hidden()) {
                        items.add(col(c.internal()));
                        names.add(c.name());
                        any = true;
                    }
                }
                if (!any) {
                    throw new SqlException("no table named " + atc.getTable().getName() + " in FROM for " + atc);
                }
            } else if (e instanceof AllColumns) {
                for (Scope.Column c : scope.columns) {
                    if (!c.hidden()) {
                        items.add(col(c.internal()));
                        names.add(c.name());
                    }
                }
            } else {
                items.add(bind(e, scope, sub -> scalarSubquery(sub, st)));
                scope = st.scope = new Scope(st.rel.columns(), scope.parent);
                names.add(item.getAlias() != null ? unquote(item.getAlias().getName()) : defaultName(e));
            }
        }
        List<OrderByElement> orderBy = ps.getOrderByElements() == null ? List.of() : ps.getOrderByElements();
        // Bind ORDER BY items that are not select aliases or positions, against the FROM scope.
        List<Expr> orderExprs = new ArrayList<>();
        for (OrderByElement o : orderBy) {
            orderExprs.add(orderTarget(o.getExpression(), names, items, scope));
        }
        boolean grouped = ps.getGroupBy() != null || ps.getHaving() != null || items.stream().anyMatch(SqlPlanner::containsAgg)
                || orderExprs.stream().anyMatch(x -> x != null && containsAgg(x));
        LazyFrame f = st.rel.frame();
        if (grouped) {
            Aggregation agg = new Aggregation(scope);
            if (ps.getGroupBy() != null) {
                for (Object o : ps.getGroupBy().getGroupByExpressionList()) {
                    Expression g = (Expression) o;
                    Expr key = groupKey(g, ps, names, items, scope);
                    if (!agg.keys.contains(key)) {
                        agg.addKey(key, key instanceof Expr.Column c ? c.name() : fresh("key"));
                    }
                }
            }
            List<Expr> rewritten = new ArrayList<>();
            for (Expr item : items) {
                rewritten.add(agg.rewrite(item));
            }
            List<Expr> orderRewritten = new ArrayList<>();
            for (Expr o : orderExprs) {
                orderRewritten.add(o == null ? null : agg.rewrite(o));
            }
            Expr having = null;
            List<Select> havingSubs = new ArrayList<>();
            List<String> havingNames = new ArrayList<>();
            if (ps.getHaving() != null) {
                Expr h = bind(ps.getHaving(), scope, sub -> {
                    String n = fresh("scalar");
                    havingSubs.add(sub);
                    havingNames.add(n);
                    return col(n);
                });
                agg.allowed.addAll(havingNames);
                having = agg.rewrite(h);
            }
            f = agg.apply(f);
            for (int i = 0; i < havingSubs.size(); i++) {
                Output o = planSelect(havingSubs.get(i), scope);
                f = f.crossJoin(o.frame().select(col(o.frame().schema().names().get(0)).alias(havingNames.get(i))));
            }
            if (having != null) {
                f = f.filter(having);
            }
            items = rewritten;
            orderExprs = orderRewritten;
        }
        // Project the SELECT items (and hidden ORDER BY keys) under fresh names.
        List<Expr> projection = new ArrayList<>();
        List<String> outNames = new ArrayList<>();
        for (Expr item : items) {
            String n = fresh("col");
            projection.add(item.alias(n));
            outNames.add(n);
        }
        List<SortKey> keys = new ArrayList<>();
        for (int i = 0; i < orderBy.size(); i++) {
            OrderByElement o = orderBy.get(i);
            Expr target = orderExprs.get(i);
            String n;
            if (target == null) {
                n = outNames.get(selectPosition(o.getExpression(), names));
            } else {
                int same = items.indexOf(target);
                if (same >= 0) {
                    n = outNames.get(same);
                } else {
                    if (ps.getDistinct() != null) {
                        throw new SqlException("with SELECT DISTINCT, ORDER BY expressions must appear in the select list: "
                                + o.getExpression());
                    }
                    n = fresh("order");
                    projection.add(target.alias(n));
                }
            }
            SortKey k = o.isAsc() ? SortKey.asc(n) : SortKey.desc(n);
            k = o.getNullOrdering() == OrderByElement.NullOrdering.NULLS_FIRST ? k.nullsFirst() : k.nullsLast();
            keys.add(k);
        }
        f = unifyAndSelect(f, projection);
        if (ps.getDistinct() != null) {
            if (ps.getDistinct().getOnSelectItems() != null) {
                throw new SqlException("DISTINCT ON is not supported");
            }
            f = f.unique();
        }
        if (!keys.isEmpty()) {
            f = f.sortStable(keys.toArray(SortKey[]::new));
        }
        f = limit(f, ps.getLimit(), ps.getOffset());
        if (f.schema().size() != outNames.size()) {
            f = f.select(outNames.stream().map(Expr::col).toArray(Expr[]::new));
        }
        return new Output(f, names);
    }

    private LazyFrame unifyAndSelect(LazyFrame f, List<Expr> projection) {
        try {
            return f.select(projection.toArray(Expr[]::new));
        } catch (PlanException e) {
            throw new SqlException(e.getMessage(), e);
        }
    }

    /** A GROUP BY item: a select alias, a position, or an expression over the FROM scope. */
    private Expr groupKey(Expression g, PlainSelect ps, List<String> names, List<Expr> items, Scope scope) {
        if (g instanceof LongValue lv) {
            int pos = (int) lv.getValue() - 1;
            if (pos < 0 || pos >= items.size()) {
                throw new SqlException("GROUP BY position " + lv.getValue() + " is not in the select list (1 to " + items.size() + ")");
            }
            return items.get(pos);
        }
        if (g instanceof Column c && c.getTable() == null) {
            String n = unquote(c.getColumnName());
            if (scope.resolve(null, n, isQuoted(c.getColumnName())) == null) {
                for (int i = 0; i < names.size(); i++) {
                    if (names.get(i).equalsIgnoreCase(n)) {
                        return items.get(i);
                    }
                }
            }
        }
        return bind(g, scope, null);
    }

    /** The expression an ORDER BY item sorts by, or null when it names a select item by alias or position. */
    private Expr orderTarget(Expression e, List<String> names, List<Expr> items, Scope scope) {
        if (e instanceof LongValue) {
            return null;
        }
        if (e instanceof Column c && (c.getTable() == null || c.getTable().getName() == null)) {
            String n = unquote(c.getColumnName());
            for (String name : names) {
                if (name.equalsIgnoreCase(n)) {
                    return null;
                }
            }
        }
        return bind(e, scope, null);
    }

    private static int selectPosition(Expression e, List<String> names) {
        if (e instanceof LongValue lv) {
            int pos = (int) lv.getValue() - 1;
            if (pos < 0 || pos >= names.size()) {
                throw new SqlException("ORDER BY position " + lv.getValue() + " is not in the select list (1 to "
                        + names.size() + ")");
            }
            return pos;
        }
        String n = unquote(((Column) e).getColumnName());
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equalsIgnoreCase(n)) {
                return i;
            }
        }
        throw new IllegalStateException("not a select alias: " + e);
    }

    private Output orderAndLimit(Output out, List<OrderByElement> orderBy, Limit limit, Offset offset) {
        LazyFrame f = out.frame();
        if (orderBy != null && !orderBy.isEmpty()) {
            List<SortKey> keys = new ArrayList<>();
            List<String> frameNames = f.schema().names();
            for (OrderByElement o : orderBy) {
                int pos;
                if (o.getExpression() instanceof LongValue || o.getExpression() instanceof Column) {
                    try {
                        pos = selectPosition(o.getExpression(), out.names());
                    } catch (IllegalStateException e) {
                        throw new SqlException("ORDER BY of a UNION must name an output column or position: " + o);
                    }
                } else {
                    throw new SqlException("ORDER BY of a UNION must name an output column or position: " + o);
                }
                SortKey k = o.isAsc() ? SortKey.asc(frameNames.get(pos)) : SortKey.desc(frameNames.get(pos));
                keys.add(o.getNullOrdering() == OrderByElement.NullOrdering.NULLS_FIRST ? k.nullsFirst() : k.nullsLast());
            }
            f = f.sortStable(keys.toArray(SortKey[]::new));
        }
        return new Output(limit(f, limit, offset), out.names());
    }

    private static LazyFrame limit(LazyFrame f, Limit limit, Offset offset) {
        long off = 0;
        if (offset != null) {
            off = constantLong(offset.getOffset(), "OFFSET");
        }
        if (limit != null && limit.getOffset() != null) {
            off = constantLong(limit.getOffset(), "OFFSET");
        }
        Long n = null;
        if (limit != null && limit.getRowCount() != null && !(limit.getRowCount() instanceof NullValue)) {
            n = constantLong(limit.getRowCount(), "LIMIT");
        }
        if (n == null && off == 0) {
            return f;
        }
        return f.slice(off, n == null ? Long.MAX_VALUE - off : n);
    }

    private static long constantLong(Expression e, String clause) {
        if (e instanceof LongValue lv && lv.getValue() >= 0) {
            return lv.getValue();
        }
        throw new SqlException(clause + " takes a non-negative integer constant, not " + e);
    }

    private static String defaultName(Expression e) {
        if (e instanceof Column c) {
            return unquote(c.getColumnName());
        }
        String s = e.toString();
        return s.length() > 64 ? s.substring(0, 64) : s;
    }

    // ------------------------------------------------------------------ expressions

    /** Binds a scalar subquery in an expression; null where none is allowed. */
    @FunctionalInterface
    private interface SubqueryBinder {
        Expr bind(Select sub);
    }

    private static List<Expression> conjuncts(Expression e) {
        List<Expression> out = new ArrayList<>();
        Expression u = unwrap(e);
        if (u instanceof AndExpression a) {
            out.addAll(conjuncts(a.getLeftExpression()));
            out.addAll(conjuncts(a.getRightExpression()));
        } else {
            out.add(u);
        }
        return out;
    }

    private static Expression unwrap(Expression e) {
        if (e instanceof ParenthesedExpressionList<?> p && p.size() == 1) {
            return unwrap(p.get(0));
        }
        return e;
    }

    private static List<Expr> exprConjuncts(Expr e) {
        List<Expr> out = new ArrayList<>();
        if (e instanceof Expr.Binary b && b.op() == BinaryOp.AND) {
            out.addAll(exprConjuncts(b.left()));
            out.addAll(exprConjuncts(b.right()));
        } else {
            out.add(e);
        }
        return out;
    }

    private static List<Expr> disjuncts(Expr e) {
        List<Expr> out = new ArrayList<>();
        if (e instanceof Expr.Binary b && b.op() == BinaryOp.OR) {
            out.addAll(disjuncts(b.left()));
            out.addAll(disjuncts(b.right()));
        } else {
            out.add(e);
        }
        return out;
    }

    /** {@code (a and b) or (a and c)} to {@code a and (b or c)}, recursively into conjuncts. */
    static Expr factorOr(Expr e) {
        if (e instanceof Expr.Binary b && b.op() == BinaryOp.AND) {
            return factorOr(b.left()).and(factorOr(b.right()));
        }
        List<Expr> ors = disjuncts(e);
        if (ors.size() < 2) {
            return e;
        }
        List<List<Expr>> parts = new ArrayList<>();
        for (Expr d : ors) {
            parts.add(exprConjuncts(d));
        }
        List<Expr> common = new ArrayList<>();
        for (Expr c : parts.get(0)) {
            boolean everywhere = true;
            for (List<Expr> p : parts) {
                everywhere &= p.contains(c);
            }
            if (everywhere && !common.contains(c)) {
                common.add(c);
            }
        }
        if (common.isEmpty()) {
            return e;
        }
        Expr rest = null;
        for (List<Expr> p : parts) {
            List<Expr> left = new ArrayList<>(p);
            left.removeAll(common);
            if (left.isEmpty()) {
                rest = null;
                break;
            }
            Expr conj = andAll(left);
            rest = rest == null ? conj : rest.or(conj);
        }
        boolean anyEmpty = parts.stream().anyMatch(p -> common.containsAll(p));
        Expr out = andAll(common);
        return anyEmpty || rest == null ? out : out.and(rest);
    }

    private static Expr andAll(List<Expr> es) {
        Expr out = es.get(0);
        for (int i = 1; i < es.size(); i++) {
            out = out.and(es.get(i));
        }
        return out;
    }

    private static String display(Expr e, Scope scope) {
        String s = e.toString();
        for (String n : e.columns()) {
            s = s.replace("col(\"" + n + "\")", scope.displayName(n)).replace(n, scope.displayName(n));
        }
        return s;
    }

    /** Binds a SQL expression over {@code scope}. */
    private Expr bind(Expression e, Scope scope, SubqueryBinder subqueries) {
        return switch (e) {
            case Column c -> column(c, scope);
            case LongValue v -> lit(v.getValue());
            case DoubleValue v -> lit(v.getValue());
            case StringValue v -> lit(v.getValue());
            case NullValue v -> lit(null);
            case BooleanValue v -> lit(v.getValue());
            case DateValue v -> lit(v.getValue().toLocalDate());
            case DateTimeLiteralExpression d -> dateLiteral(d.getValue(), d.getType().name());
            case ParenthesedExpressionList<?> p -> {
                if (p.size() != 1) {
                    throw new SqlException("a row value " + p + " is only allowed on the right of IN");
                }
                yield bind(p.get(0), scope, subqueries);
            }
            case SignedExpression s -> s.getSign() == '-' ? negate(bind(s.getExpression(), scope, subqueries))
                    : bind(s.getExpression(), scope, subqueries);
            case Addition a -> dateArith(a, true, scope, subqueries);
            case Subtraction a -> dateArith(a, false, scope, subqueries);
            case Multiplication m -> {
                Expr l = bind(m.getLeftExpression(), scope, subqueries);
                Expr r = bind(m.getRightExpression(), scope, subqueries);
                Expr folded = fold(l, r, BinaryOp.TIMES);
                yield folded != null ? folded : l.times(r);
            }
            case Division d -> bind(d.getLeftExpression(), scope, subqueries).cast(DataType.FLOAT64)
                    .div(bind(d.getRightExpression(), scope, subqueries).cast(DataType.FLOAT64));
            case Modulo m -> bind(m.getLeftExpression(), scope, subqueries).mod(bind(m.getRightExpression(), scope, subqueries));
            case AndExpression a -> bind(a.getLeftExpression(), scope, subqueries).and(bind(a.getRightExpression(), scope, subqueries));
            case OrExpression o -> bind(o.getLeftExpression(), scope, subqueries).or(bind(o.getRightExpression(), scope, subqueries));
            case NotExpression n -> bind(n.getExpression(), scope, subqueries).not();
            case EqualsTo x -> compare(x, BinaryOp.EQ, scope, subqueries);
            case NotEqualsTo x -> compare(x, BinaryOp.NE, scope, subqueries);
            case GreaterThan x -> compare(x, BinaryOp.GT, scope, subqueries);
            case GreaterThanEquals x -> compare(x, BinaryOp.GE, scope, subqueries);
            case MinorThan x -> compare(x, BinaryOp.LT, scope, subqueries);
            case MinorThanEquals x -> compare(x, BinaryOp.LE, scope, subqueries);
            case IsNullExpression n -> n.isNot() ? bind(n.getLeftExpression(), scope, subqueries).isNotNull()
                    : bind(n.getLeftExpression(), scope, subqueries).isNull();
            case Between b -> {
                Expr x = bind(b.getLeftExpression(), scope, subqueries)
                        .between(bind(b.getBetweenExpressionStart(), scope, subqueries), bind(b.getBetweenExpressionEnd(), scope, subqueries));
                yield b.isNot() ? x.not() : x;
            }
            case InExpression in -> inList(in, scope, subqueries);
            case LikeExpression l -> like(l, scope, subqueries);
            case CaseExpression c -> caseWhen(c, scope, subqueries);
            case CastExpression c -> {
                if (c.getLeftExpression() instanceof StringValue s && c.getColDataType() != null
                        && c.getColDataType().getDataType().equalsIgnoreCase("date")) {
                    yield dateLiteral(s.getValue(), "DATE");
                }
                yield cast(bind(c.getLeftExpression(), scope, subqueries), c.getColDataType());
            }
            case ExtractExpression x -> {
                Expr in = bind(x.getExpression(), scope, subqueries);
                yield switch (x.getName().toLowerCase(Locale.ROOT)) {
                    case "year" -> in.year();
                    case "month" -> in.month();
                    case "day" -> in.day();
                    default -> throw new SqlException("EXTRACT supports year, month and day, not " + x.getName());
                };
            }
            case Function f -> function(f, scope, subqueries);
            case Select s -> {
                if (subqueries == null) {
                    throw new SqlException("a subquery is not allowed here: " + s);
                }
                yield subqueries.bind(s);
            }
            case IntervalExpression i -> throw new SqlException("an interval (" + i + ") can only be added to or subtracted from a date");
            default -> throw new SqlException("unsupported expression: " + e + " (" + e.getClass().getSimpleName() + ")");
        };
    }

    private static Expr negate(Expr e) {
        if (e instanceof Expr.Literal l && l.value() instanceof Long v) {
            return lit(-v);
        }
        if (e instanceof Expr.Literal l && l.value() instanceof Double v) {
            return lit(-v);
        }
        return e.negate();
    }

    private Expr column(Column c, Scope scope) {
        String q = c.getTable() == null || c.getTable().getName() == null ? null
                : unquote(c.getTable().getName()).toLowerCase(Locale.ROOT);
        String raw = c.getColumnName();
        String name = unquote(raw);
        Scope.Column found = scope.resolve(q, name, isQuoted(raw));
        if (found == null) {
            if (q == null && (name.equalsIgnoreCase("true") || name.equalsIgnoreCase("false"))) {
                return lit(Boolean.parseBoolean(name.toLowerCase(Locale.ROOT)));
            }
            List<String> near = scope.nearest(name);
            throw new SqlException("column " + (q == null ? "" : q + ".") + name + " does not exist"
                    + (near.isEmpty() ? "" : "; did you mean " + String.join(", ", near) + "?"));
        }
        return col(found.internal());
    }

    private static Expr dateLiteral(String text, String type) {
        String s = text.startsWith("'") && text.endsWith("'") ? text.substring(1, text.length() - 1) : text;
        if (!type.equalsIgnoreCase("DATE")) {
            throw new SqlException(type + " literals are not supported; only date 'yyyy-mm-dd'");
        }
        try {
            return lit(LocalDate.parse(s.strip()));
        } catch (DateTimeParseException e) {
            throw new SqlException("cannot read date '" + s + "' (expected yyyy-mm-dd)");
        }
    }

    private Expr dateArith(BinaryExpression a, boolean plus, Scope scope, SubqueryBinder subqueries) {
        Expression r = unwrap(a.getRightExpression());
        Expression l = unwrap(a.getLeftExpression());
        if (r instanceof IntervalExpression iv) {
            Period p = period(iv);
            Expr left = bind(l, scope, subqueries);
            if (left instanceof Expr.Literal lit && lit.value() instanceof LocalDate d) {
                return lit(plus ? d.plus(p) : d.minus(p));
            }
            return plus ? left.plus(p) : left.minus(p);
        }
        if (plus && l instanceof IntervalExpression iv) {
            Expr right = bind(r, scope, subqueries);
            Period p = period(iv);
            if (right instanceof Expr.Literal lit && lit.value() instanceof LocalDate d) {
                return lit(d.plus(p));
            }
            return right.plus(p);
        }
        Expr left = bind(l, scope, subqueries);
        Expr right = bind(r, scope, subqueries);
        Expr folded = fold(left, right, plus ? BinaryOp.PLUS : BinaryOp.MINUS);
        if (folded != null) {
            return folded;
        }
        return plus ? left.plus(right) : left.minus(right);
    }

    /**
     * Folds arithmetic on two number constants exactly, as SQL's decimal constants are exact
     * ({@code 0.06 + 0.01} is 0.07, not the double 0.06999999999999999); null when either side is
     * not a number constant.
     */
    private static Expr fold(Expr left, Expr right, BinaryOp op) {
        if (!(left instanceof Expr.Literal a) || !(right instanceof Expr.Literal b)
                || !(a.value() instanceof Number x) || !(b.value() instanceof Number y)) {
            return null;
        }
        if (x instanceof Long lx && y instanceof Long ly && op != BinaryOp.DIV) {
            try {
                return lit(switch (op) {
                    case PLUS -> Math.addExact(lx, ly);
                    case MINUS -> Math.subtractExact(lx, ly);
                    case TIMES -> Math.multiplyExact(lx, ly);
                    default -> throw new IllegalStateException(op.toString());
                });
            } catch (ArithmeticException e) {
                return null;
            }
        }
        java.math.BigDecimal p = new java.math.BigDecimal(x.toString());
        java.math.BigDecimal q = new java.math.BigDecimal(y.toString());
        java.math.BigDecimal r = switch (op) {
            case PLUS -> p.add(q);
            case MINUS -> p.subtract(q);
            case TIMES -> p.multiply(q);
            default -> null;
        };
        if (r == null) {
            return q.signum() == 0 ? null : lit(p.doubleValue() / q.doubleValue());
        }
        return lit(r.doubleValue());
    }

    private static Period period(IntervalExpression iv) {
        String param = iv.getParameter();
        String unit = iv.getIntervalType();
        if (param == null && iv.getExpression() instanceof StringValue s) {
            param = s.getValue();
        }
        if (param == null) {
            throw new SqlException("unsupported interval " + iv + "; write interval 'n' day, month or year");
        }
        String text = param.replace("'", "").strip();
        if (unit == null) {
            String[] parts = text.split("\\s+");
            if (parts.length != 2) {
                throw new SqlException("unsupported interval " + iv + "; write interval 'n' day, month or year");
            }
            text = parts[0];
            unit = parts[1];
        }
        int n;
        try {
            n = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new SqlException("the amount of interval " + iv + " must be an integer");
        }
        String u = unit.toLowerCase(Locale.ROOT);
        if (u.endsWith("s")) {
            u = u.substring(0, u.length() - 1);
        }
        return switch (u) {
            case "day" -> Period.ofDays(n);
            case "month" -> Period.ofMonths(n);
            case "year" -> Period.ofYears(n);
            default -> throw new SqlException("unsupported interval unit " + unit + "; use day, month or year");
        };
    }

    private Expr compare(BinaryExpression x, BinaryOp op, Scope scope, SubqueryBinder subqueries) {
        Expr l = bind(x.getLeftExpression(), scope, subqueries);
        Expr r = bind(x.getRightExpression(), scope, subqueries);
        return new Expr.Binary(op, l, r);
    }

    private Expr inList(InExpression in, Scope scope, SubqueryBinder subqueries) {
        if (in.getRightExpression() instanceof Select) {
            throw new SqlException("IN (subquery) is only supported as a condition of WHERE joined by AND: " + in);
        }
        Expr x = bind(in.getLeftExpression(), scope, subqueries);
        List<Expression> values = new ArrayList<>();
        Expression right = in.getRightExpression();
        if (right instanceof ExpressionList<?> list) {
            values.addAll(list);
        } else {
            values.add(right);
        }
        List<Object> constants = new ArrayList<>();
        List<Expr> others = new ArrayList<>();
        for (Expression v : values) {
            Expr b = bind(v, scope, subqueries);
            if (b instanceof Expr.Literal l && l.value() != null) {
                constants.add(l.value());
            } else {
                others.add(b);
            }
        }
        Expr out = constants.isEmpty() ? null : x.isIn(constants);
        for (Expr o : others) {
            Expr eq = x.eq(o);
            out = out == null ? eq : out.or(eq);
        }
        return in.isNot() ? out.not() : out;
    }

    private Expr like(LikeExpression l, Scope scope, SubqueryBinder subqueries) {
        if (l.getLikeKeyWord() != LikeExpression.KeyWord.LIKE) {
            throw new SqlException(l.getLikeKeyWord() + " is not supported; use LIKE");
        }
        if (l.getEscape() != null) {
            throw new SqlException("LIKE ... ESCAPE is not supported");
        }
        if (!(l.getRightExpression() instanceof StringValue p)) {
            throw new SqlException("the pattern of LIKE must be a string constant: " + l);
        }
        Expr x = bind(l.getLeftExpression(), scope, subqueries);
        return l.isNot() ? x.notLike(p.getValue()) : x.like(p.getValue());
    }

    private Expr caseWhen(CaseExpression c, Scope scope, SubqueryBinder subqueries) {
        Expr subject = c.getSwitchExpression() == null ? null : bind(c.getSwitchExpression(), scope, subqueries);
        List<Expr> conds = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        for (WhenClause w : c.getWhenClauses()) {
            Expr when = bind(w.getWhenExpression(), scope, subqueries);
            conds.add(subject == null ? when : subject.eq(when));
            values.add(bind(w.getThenExpression(), scope, subqueries));
        }
        Expr otherwise = c.getElseExpression() == null ? lit(null) : bind(c.getElseExpression(), scope, subqueries);
        values.add(otherwise);
        values = unifyNumeric(values, scope);
        Expr.WhenThen chain = Expr.when(conds.get(0));
        Expr.WhenChain then = chain.then(values.get(0));
        for (int i = 1; i < conds.size(); i++) {
            then = then.when(conds.get(i)).then(values.get(i));
        }
        return then.otherwise(values.get(values.size() - 1));
    }

    /** Casts numeric branches to the widest of their types (int32 < int64 < decimal < float64). */
    private List<Expr> unifyNumeric(List<Expr> values, Scope scope) {
        Schema schema = schemaOf(scope);
        if (schema == null) {
            return values;
        }
        List<DataType> types = new ArrayList<>();
        for (Expr v : values) {
            if (v instanceof Expr.Literal l && l.value() == null) {
                types.add(null);
                continue;
            }
            try {
                types.add(containsAgg(v) ? null : ExprCompiler.typeOf(v, schema));
            } catch (PlanException e) {
                types.add(null);
            }
        }
        DataType widest = null;
        for (DataType t : types) {
            if (t == null || !numeric(t)) {
                if (t != null) {
                    return values;
                }
                continue;
            }
            widest = widest == null || rank(t) > rank(widest) ? t : widest;
        }
        if (widest == null || widest == DataType.DECIMAL128) {
            return values;
        }
        List<Expr> out = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            out.add(types.get(i) != null && types.get(i) != widest ? values.get(i).cast(widest) : values.get(i));
        }
        return out;
    }

    private static int rank(DataType t) {
        return switch (t) {
            case INT32 -> 0;
            case INT64 -> 1;
            case DECIMAL128 -> 2;
            case FLOAT64 -> 3;
            default -> -1;
        };
    }

    /** A schema of the scope's columns (under their internal names) for typing expressions, or null. */
    private Schema schemaOf(Scope scope) {
        List<Field> fields = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Scope s = scope; s != null; s = s.parent) {
            for (Scope.Column c : s.columns) {
                Field f = types.get(c.internal());
                if (f != null && seen.add(c.internal())) {
                    fields.add(f);
                }
            }
        }
        return fields.isEmpty() ? null : new Schema(fields);
    }

    private Expr cast(Expr in, ColDataType type) {
        String t = type.getDataType().toLowerCase(Locale.ROOT).strip();
        List<String> args = type.getArgumentsStringList();
        return switch (t) {
            case "int", "integer", "int4", "int32" -> in.cast(DataType.INT32);
            case "bigint", "int8", "int64", "long" -> in.cast(DataType.INT64);
            case "double", "float8", "double precision", "float", "real" -> in.cast(DataType.FLOAT64);
            case "varchar", "text", "string", "char" -> in.cast(DataType.UTF8);
            case "date" -> in.cast(DataType.DATE32);
            case "boolean", "bool" -> in.cast(DataType.BOOLEAN);
            case "decimal", "numeric" -> {
                int p = args == null || args.isEmpty() ? 18 : Integer.parseInt(args.get(0).strip());
                int s = args == null || args.size() < 2 ? 3 : Integer.parseInt(args.get(1).strip());
                yield in.cast(DecimalType.of(p, s));
            }
            default -> throw new SqlException("unsupported type " + type + " in CAST; the types are integer, bigint,"
                    + " double, decimal(p, s), varchar, date and boolean");
        };
    }

    private Expr function(Function f, Scope scope, SubqueryBinder subqueries) {
        String name = f.getName().toLowerCase(Locale.ROOT);
        List<Expression> params = new ArrayList<>();
        if (f.getParameters() != null) {
            params.addAll(f.getParameters());
        }
        if (name.equals("substring") || name.equals("substr")) {
            return substring(f, scope, subqueries);
        }
        if (f.isAllColumns() || (name.equals("count") && params.size() == 1 && params.get(0) instanceof AllColumns)) {
            if (!name.equals("count")) {
                throw new SqlException(f.getName() + "(*) is not a function; did you mean count(*)?");
            }
            return Expr.rowCount();
        }
        List<Expr> args = new ArrayList<>();
        for (Expression p : params) {
            args.add(bind(p, scope, subqueries));
        }
        boolean distinct = f.isDistinct();
        if (distinct && !name.equals("count")) {
            throw new SqlException("DISTINCT is supported in count(DISTINCT x) only, not in " + f);
        }
        switch (name) {
            case "count" -> {
                one(f, args);
                return distinct ? args.get(0).nUnique() : args.get(0).count();
            }
            case "sum" -> {
                one(f, args);
                return args.get(0).sum();
            }
            case "avg", "mean" -> {
                one(f, args);
                return args.get(0).mean();
            }
            case "min" -> {
                one(f, args);
                return args.get(0).min();
            }
            case "max" -> {
                one(f, args);
                return args.get(0).max();
            }
            case "coalesce" -> {
                return Expr.coalesce(args.toArray(Expr[]::new));
            }
            case "abs" -> {
                one(f, args);
                return args.get(0).abs();
            }
            case "round" -> {
                if (args.size() == 1) {
                    return args.get(0).round(0);
                }
                if (args.size() == 2 && args.get(1) instanceof Expr.Literal l && l.value() instanceof Long d) {
                    return args.get(0).round(d.intValue());
                }
                throw new SqlException("round takes a value and an integer constant number of digits: " + f);
            }
            case "length", "char_length", "strlen" -> {
                one(f, args);
                return args.get(0).charLength();
            }
            case "year", "month", "day" -> {
                one(f, args);
                return name.equals("year") ? args.get(0).year() : name.equals("month") ? args.get(0).month() : args.get(0).day();
            }
            case "starts_with", "ends_with", "contains" -> {
                if (args.size() != 2 || !(args.get(1) instanceof Expr.Literal l) || !(l.value() instanceof String s)) {
                    throw new SqlException(name + " takes a string and a string constant: " + f);
                }
                return name.equals("starts_with") ? args.get(0).startsWith(s) : name.equals("ends_with")
                        ? args.get(0).endsWith(s) : args.get(0).contains(s);
            }
            default -> throw new SqlException("unknown function " + f.getName() + "; the functions are count, sum, avg,"
                    + " min, max, coalesce, abs, round, length, year, month, day, substring, starts_with, ends_with,"
                    + " contains, extract, cast");
        }
    }

    private static void one(Function f, List<Expr> args) {
        if (args.size() != 1) {
            throw new SqlException(f.getName() + " takes one argument, not " + args.size() + ": " + f);
        }
    }

    private Expr substring(Function f, Scope scope, SubqueryBinder subqueries) {
        List<Expression> params = new ArrayList<>();
        if (f.getParameters() != null) {
            params.addAll(f.getParameters());
        } else if (f.getNamedParameters() != null) {
            NamedExpressionList<?> named = f.getNamedParameters();
            params.addAll(named);
        }
        if (params.size() < 2 || params.size() > 3) {
            throw new SqlException("substring takes a string, a start and an optional length: " + f);
        }
        Expr in = bind(params.get(0), scope, subqueries);
        int start = intConstant(params.get(1), f);
        if (params.size() == 2) {
            return in.substring(start);
        }
        return in.substring(start, intConstant(params.get(2), f));
    }

    private static int intConstant(Expression e, Function f) {
        if (e instanceof LongValue lv) {
            return (int) lv.getValue();
        }
        throw new SqlException("the start and length of substring must be integer constants: " + f);
    }

    // ------------------------------------------------------------------ identifiers

    static boolean isQuoted(String identifier) {
        return identifier != null && identifier.length() >= 2 && (identifier.startsWith("\"") && identifier.endsWith("\"")
                || identifier.startsWith("`") && identifier.endsWith("`"));
    }

    static String unquote(String identifier) {
        return isQuoted(identifier) ? identifier.substring(1, identifier.length() - 1) : identifier;
    }
}
