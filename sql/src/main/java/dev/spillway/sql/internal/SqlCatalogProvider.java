package dev.spillway.sql.internal;

import dev.spillway.sql.SqlContext;

import dev.spillway.LazyFrame;
import dev.spillway.Spillway;
import dev.spillway.spi.SqlFrontEnd;

/**
 * The SQL front end of {@link Spillway#sql(String)}: each engine gets one {@link SqlContext}
 * holding the tables registered on it. Found by {@link java.util.ServiceLoader}; not for direct use.
 */
public final class SqlCatalogProvider implements SqlFrontEnd {
    /** Used by {@link java.util.ServiceLoader}. */
    public SqlCatalogProvider() {
    }

    @Override
    public Catalog open(Spillway engine) {
        SqlContext context = SqlContext.of(engine);
        return new Catalog() {
            @Override
            public void register(String name, LazyFrame frame) {
                context.register(name, frame);
            }

            @Override
            public boolean unregister(String name) {
                return context.unregister(name);
            }

            @Override
            public LazyFrame sql(String text) {
                return context.sql(text);
            }
        };
    }
}
