package dev.spillway.cli;

import java.io.PrintStream;

/**
 * A command of {@code spillway} provided by a module above the engine (such as {@code tpch-gen}
 * from the {@code tpch} module), found with {@link java.util.ServiceLoader} so that the engine
 * does not depend on it. Implementations need a public no-argument constructor and a
 * {@code META-INF/services/dev.spillway.cli.Subcommand} entry.
 */
public interface Subcommand {
    /** The word that selects it, e.g. {@code tpch-gen}. */
    String name();

    /** One line for the command list of {@code spillway --help}. */
    String summary();

    /**
     * Runs the command with the arguments after its name.
     *
     * @return the exit status: 0 on success, 1 when the work failed, 2 for bad usage
     */
    int run(String[] args, PrintStream out, PrintStream err);
}
