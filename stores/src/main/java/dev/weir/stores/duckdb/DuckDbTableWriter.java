package dev.weir.stores.duckdb;

import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSpec;
import java.util.List;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * Creates one table, replacing any of that name, with its primary key and indexes, in one
 * transaction: a failure (a duplicate key, a bad query) leaves no half-made table behind.
 *
 * <p>DuckDB 2.0 supports {@code ALTER TABLE ... ADD PRIMARY KEY}, which checks the loaded rows
 * ("Data contains duplicates on indexed column(s)"), so the table is filled first at bulk speed
 * and constrained after. Index names are {@code <table>__idx<n>}, unique within the schema.
 */
final class DuckDbTableWriter {

    private final DuckDbDatabase database;
    private final TableLocation target;
    private final TableSpec spec;
    private final String name;

    DuckDbTableWriter(DuckDbDatabase database, TableLocation target, TableSpec spec) {
        this.database = database;
        this.target = target;
        this.spec = spec;
        this.name = DuckDbSql.qualified(target.schema(), target.table());
    }

    /** Loads the rows of {@code data} (read to its end, not closed). */
    long fromArrow(ArrowReader data) {
        String what = "cannot write table " + target;
        if (spec.primaryKey().isEmpty() && spec.indexes().isEmpty()) {
            // one statement, atomic on its own: no BEGIN/DROP/COMMIT round trips for a plain table
            return database.withConnection(what, connection -> DuckDbArrowIo.createFromArrow(database, connection, data,
                    what, stream -> "CREATE OR REPLACE TABLE " + name + " AS SELECT * FROM " + stream));
        }
        return database.inTransaction(what, connection -> {
            dropExisting(connection);
            long rows = DuckDbArrowIo.createFromArrow(database, connection, data, what,
                    stream -> "CREATE TABLE " + name + " AS SELECT * FROM " + stream);
            constrain(connection);
            return rows;
        });
    }

    /** Creates the table from a query run inside the database. */
    long fromSelect(String selectSql) {
        String what = "cannot write table " + target;
        return database.inTransaction(what, connection -> {
            dropExisting(connection);
            database.execute(connection, what, "CREATE TABLE " + name + " AS " + selectSql);
            constrain(connection);
            return Long.parseLong(database.strings(connection, what, "SELECT count(*) FROM " + name).get(0));
        });
    }

    /** Creates the table from a query inside the caller's transaction (several tables at once). */
    void fromSelect(org.duckdb.DuckDBConnection connection, String selectSql) {
        String what = "cannot write table " + target;
        dropExisting(connection);
        database.execute(connection, what, "CREATE TABLE " + name + " AS " + selectSql);
        constrain(connection);
    }

    private void dropExisting(org.duckdb.DuckDBConnection connection) {
        database.execute(connection, "cannot replace table " + target, "DROP TABLE IF EXISTS " + name);
    }

    /**
     * Adds the primary key and indexes inside the caller's transaction. Their columns must be named as the
     * table's are, case included: DuckDB would find {@code "k"} for {@code "K"}, where PostgreSQL refuses it, so
     * a flow that runs on DuckDB runs on PostgreSQL too.
     */
    void constrain(org.duckdb.DuckDBConnection connection) {
        if (spec.primaryKey().isEmpty() && spec.indexes().isEmpty()) {
            return;
        }
        List<String> columns = database.strings(connection, "cannot read the columns of " + target,
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
                target.schema(), target.table());
        java.util.stream.Stream.concat(spec.primaryKey().stream(), spec.indexes().stream().flatMap(List::stream))
                .filter(column -> !columns.contains(column)).findFirst().ifPresent(column -> {
                    throw dev.weir.engine.store.StoreException.of(database.storeName() + ": cannot "
                            + (spec.primaryKey().contains(column) ? "add the primary key" : "create an index") + " of table "
                            + target + ": it has no column '" + column + "' (names match case and all, as in PostgreSQL);"
                            + " its columns are " + columns);
                });
        if (!spec.primaryKey().isEmpty()) {
            database.execute(connection, "cannot add the primary key of " + target,
                    "ALTER TABLE " + name + " ADD PRIMARY KEY (" + DuckDbSql.columnList(spec.primaryKey()) + ")");
        }
        List<List<String>> indexes = spec.indexes();
        for (int i = 0; i < indexes.size(); i++) {
            String index = DuckDbSql.quote(target.table() + "__idx" + i);
            database.execute(connection, "cannot create index " + i + " of " + target,
                    "CREATE INDEX " + index + " ON " + name + " (" + DuckDbSql.columnList(indexes.get(i)) + ")");
        }
    }
}
