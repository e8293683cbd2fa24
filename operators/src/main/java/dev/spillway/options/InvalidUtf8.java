package dev.spillway.options;

/** What a CSV scan does with text that is not well-formed UTF-8 ({@link CsvOptions#invalidUtf8()}). */
public enum InvalidUtf8 {
    /** Fail the query naming file, line, column and the offending bytes in hex (the default). */
    FAIL,
    /** Replace each ill-formed sequence (its maximal subpart) with U+FFFD and go on. */
    REPLACE
}
