package dev.weir.stores.postgres;

import java.sql.SQLException;

/** Catalog queries: which schemas exist, and which tables (of any relation kind a query can read) they hold. */
final class PgCatalog {

    private static final String FILTER = " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
            + " ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind IN ('r', 'v', 'm', 'p', 'f')";

    /** One row when relation {@code (schema, name)} exists. */
    static final String RELATION = "SELECT 1" + FILTER + " AND c.relname = ?";

    /** The relations of {@code (schema)}, by name in byte order. */
    static final String RELATIONS = "SELECT c.relname" + FILTER + " ORDER BY c.relname COLLATE \"C\"";

    private PgCatalog() {
    }

    static boolean schemaExists(PgTx t, String schema) throws SQLException {
        return !t.query("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ?", rs -> true, schema).isEmpty();
    }
}
