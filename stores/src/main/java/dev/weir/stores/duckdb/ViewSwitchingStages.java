package dev.weir.stores.duckdb;

import dev.weir.engine.store.StoreException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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

    /** The instance whose stages these are: orphaned transactions are found per instance. */
    private final String instanceId;

    ViewSwitchingStages(DuckDbDatabase database, DuckDbMetadata metadata, String instanceId) {
        this.database = database;
        this.metadata = metadata;
        this.instanceId = instanceId;
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

    /** Forgets what this store remembers of a stage it began: the stage was dropped ({@code weir clear}). */
    void forget(String stage) {
        open.remove(stage);
        recorded.remove(stage);
    }

    /** Empties the transaction side and forgets the uncommitted cache entries of an earlier run. */
    void begin(String stage) {
        resume(stage, Set.of());
    }

    /**
     * Begins a stage keeping the tables {@code keep} of its kept attempt on the transaction side, and
     * dropping everything else there; with {@code keep} empty, empties the side. Either way the earlier
     * attempt's cache entries are forgotten: the run records those of the tasks it resumes again.
     */
    void resume(String stage, Set<String> keep) {
        open.remove(stage);
        recorded.remove(stage);
        String transaction = database.inTransaction("cannot begin stage " + stage, connection -> {
            String committed = committedSchema(stage);
            String side = transactionSchema(connection, stage);
            database.execute(connection, "cannot create schema " + committed,
                    "CREATE SCHEMA IF NOT EXISTS " + DuckDbSql.quote(committed));
            if (keep.isEmpty()) {
                database.execute(connection, "cannot empty schema " + side,
                        "DROP SCHEMA IF EXISTS " + DuckDbSql.quote(side) + " CASCADE");
                database.execute(connection, "cannot create schema " + side,
                        "CREATE SCHEMA " + DuckDbSql.quote(side));
            } else {
                dropAllBut(connection, stage, side, keep);
            }
            metadata.deleteUncommittedTasks(connection, committed);
            metadata.forgetSlices(connection, side);
            metadata.transactionBegun(connection, new DuckDbMetadata.Transaction(committed, stage, side,
                    DuckDbMetadata.OPEN, null, null), instanceId);
            return side;
        });
        open.put(stage, transaction);
        recorded.put(stage, java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>()));
    }

    /** Drops every table and view of the kept side but those of {@code keep}, which must all be there. */
    private void dropAllBut(DuckDBConnection connection, String stage, String side, Set<String> keep) {
        String committed = committedSchema(stage);
        Optional<DuckDbMetadata.Transaction> kept = metadata.transaction(connection, committed)
                .filter(t -> t.state().equals(DuckDbMetadata.KEPT) && t.transactionSchema().equals(side));
        if (kept.isEmpty()) {
            throw StoreException.of(database.storeName() + ": cannot resume stage " + stage + ": no failed attempt"
                    + " of it is kept in " + side);
        }
        List<String> tables = relations(connection, side, "duckdb_tables()");
        List<String> views = relations(connection, side, "duckdb_views()");
        Set<String> missing = new java.util.TreeSet<>(keep);
        missing.removeAll(tables);
        missing.removeAll(views);
        if (!missing.isEmpty()) {
            throw StoreException.of(database.storeName() + ": cannot resume stage " + stage + ": the kept attempt"
                    + " of run " + kept.get().runId() + " lacks " + missing + " in " + side);
        }
        StringBuilder script = new StringBuilder();
        for (String view : views) {
            if (!keep.contains(view)) {
                script.append("DROP VIEW ").append(DuckDbSql.qualified(side, view)).append(";\n");
            }
        }
        for (String table : tables) {
            if (!keep.contains(table)) {
                script.append("DROP TABLE ").append(DuckDbSql.qualified(side, table)).append(" CASCADE;\n");
            }
        }
        if (!script.isEmpty()) {
            database.execute(connection, "cannot drop what stage " + stage + " does not resume from " + side,
                    script.toString());
        }
    }

    /**
     * Ends a failed attempt keeping its side and its cache entries (written now, uncommitted) for the next
     * run to resume; with no entry, drops the side as {@link #abort} does.
     */
    void keep(String stage, String flow, String runId) {
        Map<String, dev.weir.engine.store.TaskRecord> pending = recorded.get(stage);
        database.inTransaction("cannot keep the failed attempt of stage " + stage, connection -> {
            String committed = committedSchema(stage);
            String transaction = transactionSchema(connection, stage);
            if (pending != null) {
                metadata.deleteUncommittedTasks(connection, committed);
                synchronized (pending) {
                    metadata.recordTasks(connection, committed, List.copyOf(pending.values()));
                }
            }
            metadata.forgetSlices(connection, transaction);
            if (metadata.uncommittedTasks(connection, committed, stage).isEmpty()) {
                database.execute(connection, "cannot drop schema " + transaction,
                        "DROP SCHEMA IF EXISTS " + DuckDbSql.quote(transaction) + " CASCADE");
                metadata.transactionEnded(connection, committed);
            } else {
                metadata.transactionBegun(connection, new DuckDbMetadata.Transaction(committed, stage, transaction,
                        DuckDbMetadata.KEPT, flow, runId), instanceId);
            }
            return null;
        });
        open.remove(stage);
        recorded.remove(stage);
    }

    /** The kept attempt of a stage, if its side is still the transaction side. */
    Optional<dev.weir.engine.store.KeptAttempt> keptAttempt(String stage) {
        return database.withConnection("cannot read the kept attempt of stage " + stage, connection -> {
            String committed = committedSchema(stage);
            String side = transactionSchema(connection, stage);
            Optional<DuckDbMetadata.Transaction> kept = metadata.transaction(connection, committed)
                    .filter(t -> t.state().equals(DuckDbMetadata.KEPT) && t.transactionSchema().equals(side));
            if (kept.isEmpty()) {
                return Optional.empty();
            }
            Set<String> tables = new java.util.TreeSet<>(relations(connection, side, "duckdb_tables()"));
            tables.addAll(relations(connection, side, "duckdb_views()"));
            return Optional.of(new dev.weir.engine.store.KeptAttempt(stage, kept.get().flow(), kept.get().runId(),
                    metadata.uncommittedTasks(connection, committed, stage), tables));
        });
    }

    /**
     * Drops the sides of this instance's stages that a run began and never ended (a killed run), with their
     * uncommitted cache entries: those recorded under its id for a stage schema with its prefix and suffix.
     * A side the views point at is never dropped.
     */
    Map<String, String> dropOrphans() {
        List<DuckDbMetadata.Transaction> orphans = database.withConnection("cannot look for orphaned transactions",
                connection -> metadata.openTransactions(connection, instanceId)).stream()
                .filter(o -> o.committedSchema().startsWith(database.config().schemaPrefix())
                        && o.committedSchema().endsWith(database.config().schemaSuffix()))
                .toList();
        Map<String, String> dropped = new java.util.LinkedHashMap<>();
        for (DuckDbMetadata.Transaction orphan : orphans) {
            boolean drop = database.inTransaction("cannot drop the orphaned transaction " + orphan.transactionSchema(),
                    connection -> {
                        String current = metadata.currentSide(connection, null, orphan.committedSchema())
                                .map(side -> sideSchema(orphan.committedSchema(), side)).orElse(null);
                        boolean orphaned = !orphan.transactionSchema().equals(current);
                        if (orphaned) {
                            database.execute(connection, "cannot drop schema " + orphan.transactionSchema(),
                                    "DROP SCHEMA IF EXISTS " + DuckDbSql.quote(orphan.transactionSchema()) + " CASCADE");
                            metadata.deleteUncommittedTasks(connection, orphan.committedSchema());
                            metadata.forgetSlices(connection, orphan.transactionSchema());
                        }
                        metadata.transactionEnded(connection, orphan.committedSchema());
                        return orphaned;
                    });
            open.remove(orphan.stage());
            recorded.remove(orphan.stage());
            if (drop) {
                dropped.put(orphan.stage(), orphan.transactionSchema());
            }
        }
        return dropped;
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

    /**
     * Points the committed views at the transaction side and commits its cache entries and its owning
     * flow, atomically.
     */
    void commit(String stage, String flow) {
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
            metadata.commit(connection, stage, committed, side, flow);
            metadata.forgetSlices(connection, transaction);
            metadata.transactionEnded(connection, committed);
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
            metadata.transactionEnded(connection, committedSchema(stage));
            return null;
        });
        open.remove(stage);
        recorded.remove(stage);
    }

    Optional<String> owner(String stage) {
        return database.withConnection("cannot read the owner of stage " + stage,
                connection -> metadata.owner(connection, committedSchema(stage)));
    }

    Optional<java.time.Instant> committedAt(String stage) {
        return database.withConnection("cannot read the commit time of stage " + stage,
                connection -> metadata.committedAt(connection, committedSchema(stage)));
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
