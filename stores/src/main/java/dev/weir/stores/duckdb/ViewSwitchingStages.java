package dev.weir.stores.duckdb;

import dev.weir.engine.store.StoreException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.duckdb.DuckDBConnection;

/**
 * Stage transactions for DuckDB, by switching views between two physical schemas.
 *
 * <p>DuckDB cannot rename schemas ({@code ALTER SCHEMA ... RENAME} fails with "Altering schemas is
 * not yet supported" in 2.0), so a stage's tables live in {@code <schema>__odd} and
 * {@code <schema>__even}, and the committed schema {@code <schema>} holds one view per table
 * pointing at the current side. A run writes the other side; {@link #commit} drops and recreates
 * the views and flips the metadata in one transaction. DuckDB's DDL is transactional, so a reader
 * sees the old views or the new ones, never a mix, and a failed commit changes nothing.
 */
final class ViewSwitchingStages {

    static final String ODD = "odd";
    static final String EVEN = "even";

    private final DuckDbDatabase database;
    private final DuckDbMetadata metadata;

    /**
     * The transaction schema of each stage begun through this store and not yet ended. Runs of an
     * instance hold its lock from begin to commit, so the side cannot change meanwhile; remembering it
     * saves a metadata query on every table write.
     */
    private final Map<String, String> open = new ConcurrentHashMap<>();

    /**
     * The cache entries recorded in each open stage, by task, written in the commit's own transaction:
     * they only become visible at commit anyway, and writing them there saves a DuckDB commit (a WAL
     * flush) per task. An entry recorded twice (a retried task) keeps the last.
     */
    private final Map<String, Map<String, dev.weir.engine.store.TaskRecord>> recorded = new ConcurrentHashMap<>();

    ViewSwitchingStages(DuckDbDatabase database, DuckDbMetadata metadata) {
        this.database = database;
        this.metadata = metadata;
    }

    /** The schema of committed views, e.g. {@code pre_raw_suf}. */
    String committedSchema(String stage) {
        DuckDbConfig config = database.config();
        return config.schemaPrefix() + stage + config.schemaSuffix();
    }

    /** The physical schema of {@code side}. */
    static String sideSchema(String committedSchema, String side) {
        return committedSchema + "__" + side;
    }

    /** The schema the next or running transaction of {@code stage} writes: the side not committed. */
    String transactionSchema(String stage) {
        String known = open.get(stage);
        if (known != null) {
            return known;
        }
        return database.withConnection("cannot read the sides of stage " + stage,
                connection -> transactionSchema(connection, stage));
    }

    private String transactionSchema(DuckDBConnection connection, String stage) {
        String committed = committedSchema(stage);
        String current = metadata.currentSide(connection, null, committed).orElse(EVEN);
        return sideSchema(committed, current.equals(ODD) ? EVEN : ODD);
    }

    /** Empties the transaction side and forgets the uncommitted cache entries of an earlier run. */
    void begin(String stage) {
        open.remove(stage);
        recorded.remove(stage);
        String transaction = database.inTransaction("cannot begin stage " + stage, connection -> {
            String committed = committedSchema(stage);
            String side = transactionSchema(connection, stage);
            database.execute(connection, "cannot create schema " + committed,
                    "CREATE SCHEMA IF NOT EXISTS " + DuckDbSql.quote(committed));
            database.execute(connection, "cannot empty schema " + side,
                    "DROP SCHEMA IF EXISTS " + DuckDbSql.quote(side) + " CASCADE");
            database.execute(connection, "cannot create schema " + side,
                    "CREATE SCHEMA " + DuckDbSql.quote(side));
            metadata.deleteUncommittedTasks(connection, committed);
            metadata.forgetSlices(connection, side);
            return side;
        });
        open.put(stage, transaction);
        recorded.put(stage, java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>()));
    }

    /**
     * Records a cache entry of a stage's running transaction: kept until the commit when the stage was
     * begun through this store, written at once (uncommitted) otherwise.
     */
    void record(dev.weir.engine.store.TaskRecord record) {
        Map<String, dev.weir.engine.store.TaskRecord> pending = recorded.get(record.stage());
        if (pending != null) {
            pending.put(record.task(), record);
            return;
        }
        database.withConnection("cannot record task " + record.task(), (DuckDBConnection connection) -> {
            metadata.recordTask(connection, committedSchema(record.stage()), record);
            return null;
        });
    }

    /** Points the committed views at the transaction side and commits its cache entries, atomically. */
    void commit(String stage) {
        database.inTransaction("cannot commit stage " + stage, connection -> {
            String committed = committedSchema(stage);
            String transaction = transactionSchema(connection, stage);
            if (!schemaExists(connection, transaction)) {
                throw StoreException.of(database.storeName() + ": cannot commit stage " + stage
                        + ": its transaction schema " + transaction + " does not exist; call beginStage first");
            }
            database.execute(connection, "cannot create schema " + committed,
                    "CREATE SCHEMA IF NOT EXISTS " + DuckDbSql.quote(committed));
            // one script for the whole switch: a stage of many tables costs one round trip, not two per table
            StringBuilder script = new StringBuilder();
            for (String view : relations(connection, committed, "duckdb_views()")) {
                script.append("DROP VIEW ").append(DuckDbSql.qualified(committed, view)).append(";\n");
            }
            for (String table : relations(connection, transaction, "duckdb_tables()")) {
                script.append("CREATE VIEW ").append(DuckDbSql.qualified(committed, table)).append(" AS SELECT * FROM ")
                        .append(DuckDbSql.qualified(transaction, table)).append(";\n");
            }
            if (!script.isEmpty()) {
                database.execute(connection, "cannot publish the tables of stage " + stage, script.toString());
            }
            String side = transaction.endsWith("__" + ODD) ? ODD : EVEN;
            Map<String, dev.weir.engine.store.TaskRecord> pending = recorded.get(stage);
            if (pending != null) {
                synchronized (pending) {
                    metadata.recordTasks(connection, committed, List.copyOf(pending.values()));
                }
            }
            metadata.commit(connection, stage, committed, side);
            metadata.forgetSlices(connection, transaction);
            return null;
        });
        open.remove(stage);
        recorded.remove(stage);
    }

    /** Drops the transaction side and its cache entries; the committed views stay as they were. */
    void abort(String stage) {
        database.inTransaction("cannot abort stage " + stage, connection -> {
            String transaction = transactionSchema(connection, stage);
            database.execute(connection, "cannot drop schema " + transaction,
                    "DROP SCHEMA IF EXISTS " + DuckDbSql.quote(transaction) + " CASCADE");
            metadata.deleteUncommittedTasks(connection, committedSchema(stage));
            metadata.forgetSlices(connection, transaction);
            return null;
        });
        open.remove(stage);
        recorded.remove(stage);
    }

    boolean isCommitted(String stage) {
        return stageVersion(stage).isPresent();
    }

    Optional<String> stageVersion(String stage) {
        return database.withConnection("cannot read the version of stage " + stage,
                connection -> metadata.stageVersion(connection, null, committedSchema(stage)));
    }

    private boolean schemaExists(DuckDBConnection connection, String schema) {
        return !database.strings(connection, "cannot list schemas",
                "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database()"
                        + " AND schema_name = ?", schema).isEmpty();
    }

    /** Names of the tables or views (non-internal) of a schema in this database, sorted. */
    List<String> relations(DuckDBConnection connection, String schema, String catalogFunction) {
        String name = catalogFunction.startsWith("duckdb_views") ? "view_name" : "table_name";
        String internal = catalogFunction.startsWith("duckdb_views") ? " AND NOT internal" : "";
        return database.strings(connection, "cannot list " + schema,
                "SELECT " + name + " FROM " + catalogFunction + " WHERE database_name = current_database()"
                        + " AND schema_name = ?" + internal + " ORDER BY 1", schema);
    }
}
