package dev.spillway.spi;

import dev.spillway.LazyFrame;
import dev.spillway.Spillway;

/**
 * The service behind {@link Spillway#sql(String)} and {@link Spillway#register(String, LazyFrame)}:
 * a SQL front end found with {@link java.util.ServiceLoader} on the class path (the Spillway SQL
 * module provides one). Applications call {@code Spillway} and never this interface.
 */
public interface SqlFrontEnd {
    /** A new catalog of tables over {@code engine}, empty, for one engine's whole life. */
    Catalog open(Spillway engine);

    /** Named tables and the planning of SQL text over them; safe for concurrent use. */
    interface Catalog {
        /** Makes {@code frame} visible as table {@code name} (case-insensitive), replacing one of the same name. */
        void register(String name, LazyFrame frame);

        /** Removes table {@code name}; returns whether it existed. */
        boolean unregister(String name);

        /** Plans a query (or a script of views ending with one) over the registered tables. */
        LazyFrame sql(String text);
    }
}
