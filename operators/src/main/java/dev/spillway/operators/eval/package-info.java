/**
 * Vectorised expressions: a type-checked {@link dev.spillway.operators.eval.PhysicalExpr} tree,
 * built by {@link dev.spillway.operators.eval.PhysicalExprs}, evaluates a whole morsel column at a
 * time into a new native vector charged to the query's budget.
 *
 * <p><b>Types at build time.</b> Every factory checks its operands and throws
 * {@link dev.spillway.errors.ExprTypeException} naming the expression, the types it got and
 * what would fit ({@code cannot apply like to int64 in col("n").str.like("1%"): it needs utf8}), so a
 * query fails while it is planned, never half-way through its input.
 *
 * <p><b>Nulls.</b> SQL's: a null operand gives null, except the three-valued {@code and}/{@code or},
 * {@code is_null}, {@code when}, {@code coalesce} and {@code is_in} (whose null constant turns a
 * miss into null). {@code between} is built as {@code x >= lo and x <= hi}, so it inherits the
 * three-valued {@code and}.
 *
 * <p><b>Constants are prepared once.</b> Work that depends only on constants happens when the
 * expression is built, not per row or per morsel: a {@code like} pattern is compiled into a
 * {@code LikePattern} (a byte prefix, suffix, substring or equality test
 * when the pattern allows, else segments between {@code %}); {@code is_in} constants are sorted into
 * a {@code long[]}, {@code double[]} or array of UTF-8 byte strings for binary search. Strings are
 * matched and sliced as UTF-8 bytes in place ({@code _} and {@code substring} step over characters
 * by their lead bytes); no {@code String} is made per row.
 *
 * <p><b>Dates</b> are days since 1970-01-01 in an int; year, month and day and the month arithmetic
 * of {@code date + interval} use integer civil-calendar formulas instead of {@code LocalDate}.
 */
package dev.spillway.operators.eval;
