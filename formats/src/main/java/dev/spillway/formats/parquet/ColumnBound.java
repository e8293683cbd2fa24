package dev.spillway.formats.parquet;

/**
 * A predicate {@code column op literal} used to skip Parquet row groups whose min/max statistics
 * prove that no row can match. The filter itself still runs above the scan; a bound only skips.
 *
 * @param column  the column name
 * @param op      one of {@code = != < <= > >=}
 * @param literal a Long, Integer, Double, BigDecimal, Boolean or String (dates as Integer days
 *                since epoch); a decimal column compares by value with the numbers
 */
public record ColumnBound(String column, String op, Object literal) {
    /** Checks the operator. */
    public ColumnBound {
        if (!java.util.Set.of("=", "!=", "<", "<=", ">", ">=").contains(op)) {
            throw new IllegalArgumentException("unsupported comparison " + op);
        }
    }

    @Override
    public String toString() {
        return column + " " + op + " " + literal;
    }
}
