package dev.spillway.plan;

import dev.spillway.errors.PlanException;

import dev.spillway.Expr;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import dev.spillway.operators.eval.PhysicalExpr;
import dev.spillway.operators.eval.PhysicalExprs;

import java.util.ArrayList;
import java.util.List;

/**
 * Type-checks a logical {@link Expr} against an input schema and compiles it to a vectorised
 * {@link PhysicalExpr}.
 *
 * <p>Errors are raised here, at plan time: an unknown column names the columns that exist, a type
 * mismatch names the expression. An untyped {@code lit(null)} takes the type of its context (the
 * other operand, the other branches, or the target of a cast).
 */
public final class ExprCompiler {
    private ExprCompiler() {
    }

    /** Compiles {@code expr} for inputs of {@code schema}. */
    public static PhysicalExpr compile(Expr expr, Schema schema) {
        return compile(expr, schema, null);
    }

    /** The result type of {@code expr} over {@code schema}. */
    public static DataType typeOf(Expr expr, Schema schema) {
        return compile(expr, schema).type();
    }

    /** A nullable field named {@code name} of {@code expr}'s result type (decimal precision and scale included). */
    public static Field fieldOf(Expr expr, Schema schema, String name) {
        PhysicalExpr p = compile(expr, schema);
        return Field.of(name, p.type(), p.decimalType(), p.timeZone());
    }

    private static PhysicalExpr compile(Expr expr, Schema schema, DataType hint) {
        return switch (expr) {
            case Expr.Column c -> {
                int i = schema.indexOf(c.name());
                if (i < 0) {
                    throw new PlanException(schema.missing(c.name()));
                }
                yield PhysicalExprs.column(i, schema.field(i));
            }
            case Expr.Literal l -> {
                DataType t = l.type() != null ? l.type() : hint;
                if (t == null) {
                    throw new PlanException("cannot infer the type of lit(null); give it one, e.g. lit(null).cast(DataType.INT64)");
                }
                if (t == DataType.DECIMAL128 && l.value() == null) {
                    // A null in a decimal context takes the narrowest decimal: it widens no result type.
                    yield PhysicalExprs.literal(null, DecimalType.of(1, 0));
                }
                if (t == DataType.TIMESTAMP) {
                    yield PhysicalExprs.timestampLiteral(l.value(), Expr.Literal.zoneOf(l.value()));
                }
                yield PhysicalExprs.literal(l.value(), t);
            }
            case Expr.Binary b -> {
                boolean leftUntyped = isUntypedNull(b.left());
                boolean rightUntyped = isUntypedNull(b.right());
                PhysicalExpr left;
                PhysicalExpr right;
                if (leftUntyped && !rightUntyped) {
                    right = compile(b.right(), schema, null);
                    left = compile(b.left(), schema, right.type());
                } else {
                    left = compile(b.left(), schema, leftUntyped ? DataType.BOOLEAN : null);
                    right = compile(b.right(), schema, left.type());
                }
                yield PhysicalExprs.binary(b.op(), left, right);
            }
            case Expr.Unary u -> PhysicalExprs.unary(u.op(), compile(u.input(), schema, hint));
            case Expr.Cast c -> c.decimal() != null
                    ? PhysicalExprs.cast(compile(c.input(), schema, c.to()), c.decimal())
                    : c.to() == DataType.TIMESTAMP || c.timeZone() != null
                    ? PhysicalExprs.cast(compile(c.input(), schema, c.to()), c.to(), c.timeZone())
                    : PhysicalExprs.cast(compile(c.input(), schema, c.to()), c.to());
            case Expr.Alias a -> compile(a.input(), schema, hint);
            case Expr.StringMatch s -> PhysicalExprs.stringPredicate(s.op(), compile(s.input(), schema, DataType.UTF8),
                    s.pattern());
            case Expr.Like l -> PhysicalExprs.like(compile(l.input(), schema, DataType.UTF8), l.pattern(), l.negated());
            case Expr.Substring s -> PhysicalExprs.substring(compile(s.input(), schema, DataType.UTF8), s.start(), s.chars());
            case Expr.IsIn in -> PhysicalExprs.isIn(compile(in.input(), schema, hintOf(in.values())), in.values());
            case Expr.Between b -> {
                DataType t = firstType(List.of(b.input(), b.lo(), b.hi()), schema, null);
                yield PhysicalExprs.between(compile(b.input(), schema, t), compile(b.lo(), schema, t), compile(b.hi(), schema, t));
            }
            case Expr.Coalesce c -> {
                DataType t = firstType(c.inputs(), schema, hint);
                List<PhysicalExpr> inputs = new ArrayList<>();
                for (Expr v : c.inputs()) {
                    inputs.add(compile(v, schema, t));
                }
                yield PhysicalExprs.coalesce(inputs);
            }
            case Expr.Round r -> PhysicalExprs.round(compile(r.input(), schema, hint), r.digits());
            case Expr.DateAdd d -> PhysicalExprs.addInterval(compile(d.input(), schema, DataType.DATE32),
                    d.interval().toTotalMonths(), d.interval().getDays(), d.micros());
            case Expr.Agg g -> throw new PlanException("aggregate " + g + " is only allowed at the top of groupBy(...).agg(...)"
                    + " or of a select whose expressions are all aggregates");
            case Expr.When w -> {
                List<PhysicalExpr> conditions = new ArrayList<>();
                for (Expr c : w.conditions()) {
                    conditions.add(compile(c, schema, DataType.BOOLEAN));
                }
                DataType valueType = hint;
                List<Expr> branches = new ArrayList<>(w.values());
                branches.add(w.otherwise());
                for (Expr v : branches) {
                    if (!isUntypedNull(v)) {
                        valueType = compile(v, schema, null).type();
                        break;
                    }
                }
                List<PhysicalExpr> values = new ArrayList<>();
                for (Expr v : w.values()) {
                    values.add(compile(v, schema, valueType));
                }
                yield PhysicalExprs.when(conditions, values, compile(w.otherwise(), schema, valueType));
            }
        };
    }

    /** The type of the first of {@code exprs} that is not an untyped null, else {@code hint}. */
    private static DataType firstType(List<Expr> exprs, Schema schema, DataType hint) {
        for (Expr e : exprs) {
            if (!isUntypedNull(e)) {
                return compile(e, schema, null).type();
            }
        }
        return hint;
    }

    /** The literal type of the first non-null constant (the type a {@code lit(null).isIn(...)} takes). */
    private static DataType hintOf(List<Object> values) {
        for (Object v : values) {
            if (v != null) {
                return ((Expr.Literal) Expr.lit(v)).type();
            }
        }
        return null;
    }

    private static boolean isUntypedNull(Expr e) {
        return e instanceof Expr.Literal l && l.type() == null;
    }
}
