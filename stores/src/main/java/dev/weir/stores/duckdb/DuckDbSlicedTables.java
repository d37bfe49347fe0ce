package dev.weir.stores.duckdb;

import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.store.AppendResult;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSlice;
import dev.weir.engine.store.TableSpec;
import java.io.IOException;
import java.util.List;
import java.util.TreeSet;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Tables filled in slices (a batched task's output, one slice per chunk): created empty, each slice
 * appended through the Arrow C stream interface ({@code INSERT ... SELECT} from the registered stream)
 * in a transaction of its own, then sealed with their keys. Rows are written once; nothing is
 * assembled afterwards. DuckDB lets concurrent transactions append to one table without conflicts.
 *
 * <p><b>At most once per slice.</b> An append claims its slice in the ledger
 * ({@link DuckDbMetadata#claimSlice}, keyed by schema, table and slice) and records its row count there
 * in the same transaction as its rows, so both commit or roll back together; a slice whose append
 * committed is found claimed and not written again. Two transactions claiming the same slice at once
 * conflict, and the one that fails writes nothing. The ledger of a table is forgotten when the table is
 * created, sealed or dropped, and that of a transaction side when its stage begins, commits or aborts.
 *
 * <p><b>Types.</b> Columns are matched by name; DuckDB casts each value to the table's column type.
 */
final class DuckDbSlicedTables {

    private final DuckDbDatabase database;
    private final DuckDbMetadata metadata;

    DuckDbSlicedTables(DuckDbDatabase database, DuckDbMetadata metadata) {
        this.database = database;
        this.metadata = metadata;
    }

    /**
     * Creates the table from an empty stream of {@code schema}, so its column types are exactly those
     * {@link DuckDbArrowIo} gives data of that schema.
     */
    void create(TableLocation target, Schema schema) {
        String what = "cannot create table " + target;
        String name = DuckDbSql.qualified(target.schema(), target.table());
        try (BufferAllocator allocator = new RootAllocator();
             ArrowTable empty = ArrowTable.of(schema, List.of());
             ArrowReader reader = empty.reader(allocator)) {
            database.inTransaction(what, connection -> {
                DuckDbArrowIo.createFromArrow(database, connection, reader, what,
                        stream -> "CREATE OR REPLACE TABLE " + name + " AS SELECT * FROM " + stream);
                metadata.forgetSlices(connection, target);
                return null;
            });
        } catch (IOException e) {
            throw new StoreException(database.storeName() + ": " + what + ": " + e.getMessage(), e);
        }
    }

    AppendResult append(TableLocation target, ArrowReader data, TableSlice slice) {
        String what = "cannot append slice " + slice.index() + " (attempt " + slice.attempt() + ") to table " + target;
        List<String> columns;
        try {
            columns = data.getVectorSchemaRoot().getSchema().getFields().stream().map(Field::getName).toList();
        } catch (IOException e) {
            throw new StoreException(database.storeName() + ": " + what + ": cannot read the Arrow schema", e);
        }
        String name = DuckDbSql.qualified(target.schema(), target.table());
        String columnList = DuckDbSql.columnList(columns);
        return database.inTransaction(what, connection -> {
            if (!metadata.claimSlice(connection, target, slice)) {
                return metadata.appendedSlice(connection, target, slice);
            }
            List<String> tableColumns = database.strings(connection, what, "SELECT column_name FROM duckdb_columns()"
                    + " WHERE database_name = current_database() AND schema_name = ? AND table_name = ?",
                    target.schema(), target.table());
            if (tableColumns.isEmpty()) {
                throw StoreException.of(database.storeName() + ": " + what + ": the table does not exist"
                        + " (create it with createTable first)");
            }
            if (!new TreeSet<>(columns).equals(new TreeSet<>(tableColumns))) {
                throw StoreException.of(database.storeName() + ": " + what + ": its columns " + new TreeSet<>(columns)
                        + " are not the table's " + new TreeSet<>(tableColumns)
                        + "; every slice of a table has the same columns");
            }
            long rows = DuckDbArrowIo.createFromArrow(database, connection, data, what,
                    stream -> "INSERT INTO " + name + " (" + columnList + ") SELECT " + columnList + " FROM " + stream);
            metadata.sliceAppended(connection, target, slice, rows);
            return new AppendResult(rows, false, slice.attempt());
        });
    }

    void seal(TableLocation target, TableSpec spec) {
        database.inTransaction("cannot add the keys of table " + target, connection -> {
            new DuckDbTableWriter(database, target, spec).constrain(connection);
            metadata.forgetSlices(connection, target);
            return null;
        });
    }

    void drop(TableLocation target) {
        database.inTransaction("cannot drop table " + target, connection -> {
            database.execute(connection, "cannot drop table " + target,
                    "DROP TABLE IF EXISTS " + DuckDbSql.qualified(target.schema(), target.table()));
            metadata.forgetSlices(connection, target);
            return null;
        });
    }
}
