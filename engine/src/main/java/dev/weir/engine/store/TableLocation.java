package dev.weir.engine.store;

import java.util.Objects;

/**
 * A physical table: the schema as the database names it (with instance prefix and suffix, and a
 * transaction suffix where the store uses one) and the table name. Both unquoted; stores quote.
 */
public record TableLocation(String schema, String table) {

    public TableLocation {
        Objects.requireNonNull(schema, "schema is null");
        Objects.requireNonNull(table, "table is null");
        if (table.isEmpty()) {
            throw new IllegalArgumentException("table name is empty");
        }
    }

    @Override
    public String toString() {
        return schema + "." + table;
    }
}
