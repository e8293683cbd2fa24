package dev.spillway.options;


import dev.spillway.types.Schema;

/**
 * How to read and write CSV.
 *
 * @param header     whether the first line names the columns (when false they are column_1, column_2...)
 * @param delimiter  field separator
 * @param quote      quote character; a quote inside a quoted field is written twice
 * @param nullString text that means null when unquoted (an unquoted empty field is always null)
 * @param inferRows  rows sampled to infer the schema
 * @param schema     the file's schema, or null to infer it
 * @param invalidUtf8 what to do with text fields (and header names) that are not well-formed UTF-8:
 *                   {@link InvalidUtf8#FAIL} (the default; null means it) or
 *                   {@link InvalidUtf8#REPLACE} with U+FFFD
 */
public record CsvOptions(boolean header, char delimiter, char quote, String nullString, int inferRows, Schema schema,
        InvalidUtf8 invalidUtf8) {
    /** Validates the options. */
    public CsvOptions {
        if (delimiter == quote || delimiter == '\n' || delimiter == '\r' || quote == '\n' || quote == '\r') {
            throw new IllegalArgumentException("CSV delimiter and quote must differ and must not be line breaks");
        }
        if (delimiter > 127 || quote > 127) {
            throw new IllegalArgumentException("CSV delimiter and quote must be ASCII characters");
        }
        if (inferRows < 1) {
            throw new IllegalArgumentException("inferRows must be >= 1, got " + inferRows);
        }
        nullString = nullString == null ? "" : nullString;
        invalidUtf8 = invalidUtf8 == null ? InvalidUtf8.FAIL : invalidUtf8;
    }

    /** Header on, comma, double quote, empty null string, 1000 rows sampled, inferred schema, invalid UTF-8 fails. */
    public static CsvOptions defaults() {
        return new CsvOptions(true, ',', '"', "", 1000, null, InvalidUtf8.FAIL);
    }

    /** With the header setting. */
    public CsvOptions withHeader(boolean h) {
        return new CsvOptions(h, delimiter, quote, nullString, inferRows, schema, invalidUtf8);
    }

    /** With another delimiter. */
    public CsvOptions withDelimiter(char d) {
        return new CsvOptions(header, d, quote, nullString, inferRows, schema, invalidUtf8);
    }

    /** With another quote character. */
    public CsvOptions withQuote(char q) {
        return new CsvOptions(header, delimiter, q, nullString, inferRows, schema, invalidUtf8);
    }

    /** With another null string. */
    public CsvOptions withNullString(String s) {
        return new CsvOptions(header, delimiter, quote, s, inferRows, schema, invalidUtf8);
    }

    /** With another sample size for inference. */
    public CsvOptions withInferRows(int n) {
        return new CsvOptions(header, delimiter, quote, nullString, n, schema, invalidUtf8);
    }

    /** With a given schema (no inference). */
    public CsvOptions withSchema(Schema s) {
        return new CsvOptions(header, delimiter, quote, nullString, inferRows, s, invalidUtf8);
    }

    /** With another treatment of ill-formed UTF-8 in text fields. */
    public CsvOptions withInvalidUtf8(InvalidUtf8 mode) {
        return new CsvOptions(header, delimiter, quote, nullString, inferRows, schema, mode);
    }
}
