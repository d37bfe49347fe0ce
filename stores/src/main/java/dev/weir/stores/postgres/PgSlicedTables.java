package dev.weir.stores.postgres;

import dev.weir.engine.store.AppendResult;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSlice;
import dev.weir.engine.store.TableSpec;
import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Tables filled in slices (a batched task's output, one slice per chunk): created empty, each slice
 * appended by binary COPY in a transaction of its own, then sealed with their keys. Rows are written
 * once; nothing is assembled afterwards.
 *
 * <p><b>At most once per slice.</b> An append first claims its slice in the ledger
 * ({@link PgMetadata#claimSlice}, {@code INSERT ... ON CONFLICT DO NOTHING} on the ledger's primary key)
 * and records its row count there, in the same transaction as its COPY: the rows and the claim commit
 * or roll back together. A slice whose append committed is found claimed and not written again; a
 * claim of a slice another transaction holds waits for that transaction and then finds it claimed or
 * free. The ledger of a table is forgotten when the table is created, sealed or dropped, and that of a
 * transaction schema when its stage begins, commits or aborts.
 *
 * <p><b>Types.</b> When the slice's columns have the table's types (or Arrow's null type, whose
 * values are NULL in any column) the COPY goes straight into the table. Otherwise it goes into a
 * temporary table of the slice's own types, dropped at commit, and {@code INSERT ... SELECT} casts the
 * values (PostgreSQL's assignment casts, e.g. integer to bigint), failing with PostgreSQL's message
 * where no such cast exists.
 *
 * <p>Thread-safe: every call runs on a connection of its own.
 */
final class PgSlicedTables {

    private final PgPool pool;
    private final PgMetadata metadata;
    private final PostgresTableStore store;

    PgSlicedTables(PgPool pool, PgMetadata metadata, PostgresTableStore store) {
        this.pool = pool;
        this.metadata = metadata;
        this.store = store;
    }

    void create(TableLocation target, Schema schema) {
        PgIdentifiers.checkLength("table", target.table(), store);
        List<ArrowCopyColumns.Column> columns = columns(schema, target);
        String name = store.sqlName(target);
        List<String> definitions = new ArrayList<>();
        for (ArrowCopyColumns.Column column : columns) {
            definitions.add(PgIdentifiers.quote(column.name()) + " " + column.sqlType());
        }
        PgTx.runStaged(pool, store, "create table " + target, t -> {
            t.execute("DROP TABLE IF EXISTS " + name, "CREATE TABLE " + name + " (" + String.join(", ", definitions) + ")");
            metadata.forgetSlices(t, target);
            return null;
        });
    }

    AppendResult append(TableLocation target, ArrowReader data, TableSlice slice) {
        Schema schema;
        try {
            schema = data.getVectorSchemaRoot().getSchema();
        } catch (IOException e) {
            throw new StoreException(store + ": cannot read the Arrow schema of slice " + slice.index() + " of " + target, e);
        }
        List<ArrowCopyColumns.Column> columns = columns(schema, target);
        String what = "append slice " + slice.index() + " (attempt " + slice.attempt() + ") to table " + target;
        return PgTx.runStaged(pool, store, what, t -> {
            if (!metadata.claimSlice(t, target, slice)) {
                return metadata.appendedSlice(t, target, slice);
            }
            long rows = needsCasts(t, target, schema, columns, slice)
                    ? copyCasting(t, target, schema, columns, data) : copy(t, store.sqlName(target), columns, data);
            metadata.sliceAppended(t, target, slice, rows);
            return new AppendResult(rows, false, slice.attempt());
        });
    }

    void seal(TableLocation target, TableSpec spec) {
        String name = store.sqlName(target);
        PgTx.runStaged(pool, store, "add the keys of table " + target, t -> {
            PgTableWrites.addKeys(t, name, spec);
            metadata.forgetSlices(t, target);
            return null;
        });
    }

    void drop(TableLocation target) {
        PgTx.runStaged(pool, store, "drop table " + target, t -> {
            t.execute("DROP TABLE IF EXISTS " + store.sqlName(target));
            metadata.forgetSlices(t, target);
            return null;
        });
    }

    /**
     * True when a column of the slice has another type than the table's; fails when the two do not have
     * the same column names.
     */
    private boolean needsCasts(PgTx t, TableLocation target, Schema schema, List<ArrowCopyColumns.Column> columns,
                               TableSlice slice) throws SQLException {
        Map<String, String> tableTypes = new HashMap<>();
        t.query("SELECT attname, format_type(atttypid, atttypmod) FROM pg_catalog.pg_attribute"
                        + " WHERE attrelid = CAST(? AS regclass) AND attnum > 0 AND NOT attisdropped",
                rs -> tableTypes.put(rs.getString(1), rs.getString(2)), store.sqlName(target));
        Set<String> names = new TreeSet<>();
        columns.forEach(c -> names.add(c.name()));
        if (!names.equals(new TreeSet<>(tableTypes.keySet()))) {
            throw StoreException.of(store + ": cannot append slice " + slice.index() + " to table " + target
                    + ": its columns " + names + " are not the table's " + new TreeSet<>(tableTypes.keySet())
                    + "; every slice of a table has the same columns");
        }
        for (int i = 0; i < columns.size(); i++) {
            ArrowCopyColumns.Column column = columns.get(i);
            if (!isNull(schema.getFields().get(i)) && !catalogName(column.sqlType()).equals(tableTypes.get(column.name()))) {
                return true;
            }
        }
        return false;
    }

    /** COPY into a temporary table of the slice's types, then an INSERT casting to the table's types. */
    private long copyCasting(PgTx t, TableLocation target, Schema schema, List<ArrowCopyColumns.Column> columns,
                             ArrowReader data) throws SQLException, IOException {
        String temp = PgIdentifiers.quote("weir_slice");
        List<String> definitions = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            String column = PgIdentifiers.quote(columns.get(i).name());
            definitions.add(column + " " + columns.get(i).sqlType());
            // an untyped NULL fits every column; a text NULL would not cast to most
            values.add(isNull(schema.getFields().get(i)) ? "NULL" : column);
        }
        t.execute("CREATE TEMPORARY TABLE " + temp + " (" + String.join(", ", definitions) + ") ON COMMIT DROP");
        copy(t, temp, columns, data);
        return t.update("INSERT INTO " + store.sqlName(target) + " (" + PgIdentifiers.columnList(names(columns))
                + ") SELECT " + String.join(", ", values) + " FROM " + temp);
    }

    private static long copy(PgTx t, String table, List<ArrowCopyColumns.Column> columns, ArrowReader data)
            throws SQLException, IOException {
        String copySql = "COPY " + table + " (" + PgIdentifiers.columnList(names(columns)) + ") FROM STDIN (FORMAT binary)";
        return PgCopyWriter.copy(t.connection(), t.track(copySql), columns.size(), data);
    }

    private List<ArrowCopyColumns.Column> columns(Schema schema, TableLocation target) {
        try {
            return ArrowCopyColumns.columns(schema, target.toString());
        } catch (StoreException e) {
            throw StoreException.of(store + ": " + e.getMessage());
        }
    }

    private static List<String> names(List<ArrowCopyColumns.Column> columns) {
        return columns.stream().map(ArrowCopyColumns.Column::name).toList();
    }

    private static boolean isNull(Field field) {
        return field.getType().getTypeID() == ArrowType.ArrowTypeID.Null;
    }

    /** A type of {@link ArrowCopyColumns} as {@code format_type} spells it. */
    private static String catalogName(String sqlType) {
        return switch (sqlType) {
            case "timestamp" -> "timestamp without time zone";
            case "timestamptz" -> "timestamp with time zone";
            default -> sqlType;
        };
    }
}
