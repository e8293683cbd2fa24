/**
 * The command line ({@code ./spillway}, or {@code java -jar spillway-cli-<version>.jar}):
 * {@link dev.spillway.cli.Main} parses options, {@link dev.spillway.cli.Demo} runs the reference
 * out-of-core query on generated data, and the other commands ({@link dev.spillway.cli.SqlCommand},
 * {@link dev.spillway.cli.TpchGenCommand}) are {@link dev.spillway.cli.Subcommand} services.
 *
 * <p>The demo's data is generated lazily morsel by morsel from {@code range} sources and
 * expressions, so a 100-million-row probe side never exists anywhere but in the morsels in
 * flight; the only large state is the join's build side and the group-by table, which spill.
 */
package dev.spillway.cli;
