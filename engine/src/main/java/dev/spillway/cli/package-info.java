/**
 * The command line ({@code ./spillway}): {@link dev.spillway.cli.Main} parses options and
 * {@link dev.spillway.cli.Demo} runs the reference out-of-core query on generated data.
 *
 * <p>The demo's data is generated lazily morsel by morsel from {@code range} sources and
 * expressions, so a 100-million-row probe side never exists anywhere but in the morsels in
 * flight; the only large state is the join's build side and the group-by table, which spill.
 */
package dev.spillway.cli;
