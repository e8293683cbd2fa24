/**
 * The SQL front end. JSqlParser turns the text into a syntax tree; {@code SqlPlanner} binds names
 * and plans every statement onto {@link dev.spillway.LazyFrame} and {@link dev.spillway.Expr}, so
 * that the optimizer, {@code explain()} and the streaming operators are the same as for the lazy
 * API.
 */
package dev.spillway.sql;
