package dev.weir.stores.duckdb;

import java.util.List;
import java.util.stream.Collectors;

/** Quoting of identifiers and literals in DuckDB's dialect. Every name Weir puts into SQL goes here. */
final class DuckDbSql {

    private DuckDbSql() {
    }

    /** {@code a"b} becomes {@code "a""b"}. */
    static String quote(String identifier) {
        if (identifier.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("identifier contains a NUL character: " + identifier);
        }
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /** {@code it's} becomes {@code 'it''s'}. */
    static String literal(String value) {
        return '\'' + value.replace("'", "''") + '\'';
    }

    static String qualified(String schema, String table) {
        return quote(schema) + "." + quote(table);
    }

    static String columnList(List<String> columns) {
        return columns.stream().map(DuckDbSql::quote).collect(Collectors.joining(", "));
    }
}
