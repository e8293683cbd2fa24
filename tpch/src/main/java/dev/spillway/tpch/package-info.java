/**
 * TPC-H on Spillway: {@link dev.spillway.tpch.TpchGen} writes the eight tables with Spillway's own
 * Parquet or CSV writer from dbgen's Java port, streaming; {@link dev.spillway.tpch.TpchQueries}
 * holds the 22 queries written with the lazy API only, with the spec's validation parameters.
 *
 * <p>SQL subqueries have no counterpart in the lazy API, so they are rewritten by hand the way a
 * decorrelating optimizer would: {@code EXISTS}/{@code IN} become semi joins, {@code NOT EXISTS}/
 * {@code NOT IN} anti joins, a correlated aggregate ({@code avg} per part in Q17, the minimum cost
 * per part in Q2) a group-by joined back on the correlation key, and a scalar subquery (Q11, Q15,
 * Q22) a global aggregate joined to every row through a constant key. The SQL text of each query
 * ({@link dev.spillway.tpch.TpchQueries#sql}) is what the check test runs on DuckDB over the
 * same files.
 */
package dev.spillway.tpch;
