package dev.weir.stores.postgres;

import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableCopy;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSpec;
import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Tables written whole, each replacing a table of its name in one transaction with its keys: from Arrow data
 * by binary COPY, from a query, or copied inside the database (cache hits carried forward). Tables filled in
 * slices are {@link PgSlicedTables}'.
 *
 * <p>Thread-safe: every call runs on a connection of its own.
 */
final class PgTableWrites {

    private final PgPool pool;
    private final Object store;

    PgTableWrites(PgPool pool, Object store) {
        this.pool = pool;
        this.store = store;
    }

    long writeArrow(TableLocation target, ArrowReader data, TableSpec spec) {
        PgIdentifiers.checkLength("table", target.table(), store);
        Schema schema;
        try {
            schema = data.getVectorSchemaRoot().getSchema();
        } catch (IOException e) {
            throw new StoreException(store + ": cannot read the Arrow schema for table " + target, e);
        }
        List<ArrowCopyColumns.Column> columns;
        try {
            columns = ArrowCopyColumns.columns(schema, target.toString());
        } catch (StoreException e) {
            throw StoreException.of(store + ": " + e.getMessage());
        }
        String name = PgIdentifiers.qualified(target);
        List<String> definitions = new ArrayList<>();
        for (ArrowCopyColumns.Column column : columns) {
            definitions.add(PgIdentifiers.quote(column.name()) + " " + column.sqlType());
        }
        // FREEZE: the table is created in the COPY's transaction, so its rows can be written frozen and its
        // pages all-visible, sparing the first readers the hint bits (a write of every page) and VACUUM the
        // freezing; no other transaction can see the table before it commits.
        String copySql = "COPY " + name + " (" + PgIdentifiers.columnList(columnNames(columns))
                + ") FROM STDIN (FORMAT binary, FREEZE)";
        return PgTx.runStaged(pool, store, "write table " + target, t -> {
            t.execute("DROP TABLE IF EXISTS " + name,
                    "CREATE TABLE " + name + " (" + String.join(", ", definitions) + ")");
            long rows = PgCopyWriter.copy(t.connection(), t.track(copySql), columns.size(), data);
            addKeys(t, name, spec);
            return rows;
        });
    }

    long writeSql(TableLocation target, String selectSql, TableSpec spec) {
        PgIdentifiers.checkLength("table", target.table(), store);
        String name = PgIdentifiers.qualified(target);
        return PgTx.runStaged(pool, store, "write table " + target + " from a query", t -> {
            t.execute("DROP TABLE IF EXISTS " + name);
            long rows = t.update("CREATE TABLE " + name + " AS " + selectSql);
            addKeys(t, name, spec);
            return rows;
        });
    }

    /** All copies in one transaction: one round of commits for a whole stage's cache hits. */
    void copyTables(List<TableCopy> copies) {
        if (copies.isEmpty()) {
            return;
        }
        copies.forEach(c -> PgIdentifiers.checkLength("table", c.target().table(), store));
        String what = copies.size() == 1 ? "copy table " + copies.get(0).source() + " to " + copies.get(0).target()
                : "carry " + copies.size() + " tables forward";
        PgTx.runStaged(pool, store, what, t -> {
            for (TableCopy copy : copies) {
                String from = PgIdentifiers.qualified(copy.source());
                String to = PgIdentifiers.qualified(copy.target());
                t.execute("DROP TABLE IF EXISTS " + to,
                        "CREATE TABLE " + to + " (LIKE " + from + ")",
                        "INSERT INTO " + to + " SELECT * FROM " + from);
                addKeys(t, to, copy.spec());
            }
            return null;
        });
    }

    /** Adds the primary key and indexes of {@code spec} to table {@code name} (already quoted). */
    static void addKeys(PgTx t, String name, TableSpec spec) throws SQLException {
        if (!spec.primaryKey().isEmpty()) {
            t.execute("ALTER TABLE " + name + " ADD PRIMARY KEY (" + PgIdentifiers.columnList(spec.primaryKey()) + ")");
        }
        for (List<String> index : spec.indexes()) {
            t.execute("CREATE INDEX ON " + name + " (" + PgIdentifiers.columnList(index) + ")");
        }
    }

    private static List<String> columnNames(List<ArrowCopyColumns.Column> columns) {
        return columns.stream().map(ArrowCopyColumns.Column::name).toList();
    }
}
