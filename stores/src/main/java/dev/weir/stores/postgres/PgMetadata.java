package dev.weir.stores.postgres;

import dev.weir.engine.store.AppendResult;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSlice;
import dev.weir.engine.store.TaskRecord;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The {@code weir_metadata} schema: which stages are committed (and their version), and the cache
 * entries of tasks. Shared by all instances of one database, so rows are keyed by the stage's
 * committed schema name, which carries the instance's prefix and suffix.
 *
 * <p>A task row written during a stage has {@code in_transaction = true} and is invisible to
 * {@link #findTask} until {@link #commit} flips it, in the same transaction as the schema swap.
 *
 * <p>{@code transactions} holds, per stage, the transaction schema a run began and has not committed or
 * aborted: {@code open} while the run works in it (at the next run's start, a killed run's), or
 * {@code kept} by a failed attempt for the next run to resume, with its flow and run id; the attempt's
 * cache entries are its {@code in_transaction} rows in {@code tasks}.
 *
 * <p>{@code runs} keeps the last {@link dev.weir.engine.store.RunRecord#KEPT_PER_INSTANCE} runs of each
 * instance (instance id, schema prefix and suffix) for {@code weir status} ({@link PgInstanceData}).
 *
 * <p>The append ledger {@code appends} holds one row per slice appended to a table of a transaction
 * schema ({@link PgSlicedTables}); its rows live no longer than the table's filling.
 */
final class PgMetadata {

    /**
     * Bumped whenever the tables below change shape; a mismatch stops {@code init()}. Version 2 added
     * {@code stages.flow}, the flow that committed the stage ({@link #init} adds it to version 1, where
     * stages have no owner and are adopted by the next flow that commits them).
     */
    static final int VERSION = 2;
    private static final int UNOWNED_STAGES_VERSION = 1;
    static final String SCHEMA = "weir_metadata";

    private static final String VERSION_TABLE = SCHEMA + ".version";
    private static final String STAGES = SCHEMA + ".stages";
    private static final String TASKS = SCHEMA + ".tasks";
    /** The append ledger of tables filled in slices ({@link PgSlicedTables}). */
    private static final String APPENDS = SCHEMA + ".appends";
    /** The stage transactions begun and not ended. */
    private static final String TRANSACTIONS = SCHEMA + ".transactions";
    /** Each lock's generation: how many times it was taken ({@link PgAdvisoryLocks}). */
    static final String LOCKS = SCHEMA + ".locks";
    static final String OPEN = "open";
    static final String KEPT = "kept";
    /** Serializes concurrent {@code init()} calls of any Weir process on this database. */
    private static final long INIT_LOCK = PgAdvisoryLocks.key("weir_metadata init");

    private final PgPool pool;
    private final Object store;

    PgMetadata(PgPool pool, Object store) {
        this.pool = pool;
        this.store = store;
    }

    /** Creates the schema and tables if absent and checks the version. Safe when run concurrently. */
    void init() {
        Integer found = PgTx.run(pool, store, "create the metadata schema " + SCHEMA, tx -> {
            // IF NOT EXISTS alone races on the catalog's unique indexes; the lock makes it safe.
            tx.query("SELECT pg_advisory_xact_lock(?)", rs -> null, INIT_LOCK);
            tx.execute(
                    "CREATE SCHEMA IF NOT EXISTS " + SCHEMA,
                    "CREATE TABLE IF NOT EXISTS " + VERSION_TABLE + " (version integer NOT NULL)",
                    "CREATE TABLE IF NOT EXISTS " + STAGES + " (schema_name text PRIMARY KEY, stage text NOT NULL,"
                            + " version text NOT NULL, committed_at timestamptz NOT NULL, flow text)",
                    "CREATE TABLE IF NOT EXISTS " + TASKS + " (schema_name text NOT NULL, stage text NOT NULL,"
                            + " task text NOT NULL, cache_key text NOT NULL, output_json text NOT NULL,"
                            + " run_id text NOT NULL, created_at timestamptz NOT NULL, in_transaction boolean NOT NULL)",
                    "CREATE INDEX IF NOT EXISTS tasks_by_key ON " + TASKS + " (schema_name, task, cache_key)",
                    // added without a version bump: older Weir versions neither read nor mind it
                    "CREATE TABLE IF NOT EXISTS " + APPENDS + " (schema_name text NOT NULL, table_name text NOT NULL,"
                            + " slice integer NOT NULL, attempt integer NOT NULL, rows bigint,"
                            + " PRIMARY KEY (schema_name, table_name, slice))",
                    // added without a version bump, like appends
                    "CREATE TABLE IF NOT EXISTS " + TRANSACTIONS + " (schema_name text PRIMARY KEY,"
                            + " stage text NOT NULL, instance_id text NOT NULL, transaction_schema text NOT NULL,"
                            + " state text NOT NULL, flow text, run_id text, updated_at timestamptz NOT NULL)",
                    // added without a version bump, like appends
                    "CREATE TABLE IF NOT EXISTS " + LOCKS + " (lock_key bigint PRIMARY KEY, lock_name text NOT NULL,"
                            + " generation bigint NOT NULL)",
                    // added without a version bump, like appends: a table older Weir versions never read
                    "CREATE TABLE IF NOT EXISTS " + PgInstanceData.RUNS + " (instance_id text NOT NULL,"
                            + " schema_prefix text NOT NULL, schema_suffix text NOT NULL, run_id text NOT NULL,"
                            + " flow text NOT NULL, started_at timestamptz NOT NULL, duration_ms bigint NOT NULL,"
                            + " outcome text NOT NULL, ran integer NOT NULL, cache_hits integer NOT NULL,"
                            + " failed integer NOT NULL, skipped integer NOT NULL, recorded_at timestamptz NOT NULL)",
                    "CREATE INDEX IF NOT EXISTS runs_by_instance ON " + PgInstanceData.RUNS
                            + " (instance_id, schema_prefix, schema_suffix, recorded_at)");
            List<Integer> versions = tx.query("SELECT version FROM " + VERSION_TABLE, rs -> rs.getInt(1));
            if (versions.isEmpty()) {
                tx.update("INSERT INTO " + VERSION_TABLE + " (version) VALUES (?)", VERSION);
                return VERSION;
            }
            if (versions.size() == 1 && versions.get(0) == UNOWNED_STAGES_VERSION) {
                tx.execute("ALTER TABLE " + STAGES + " ADD COLUMN IF NOT EXISTS flow text");
                tx.update("UPDATE " + VERSION_TABLE + " SET version = ?", VERSION);
                return VERSION;
            }
            return versions.get(0);
        });
        if (found != VERSION) {
            throw StoreException.of(store + ": the metadata schema " + SCHEMA + " has version " + found
                    + ", this Weir reads version " + VERSION + ". Use the Weir version that wrote it, or drop"
                    + " schema " + SCHEMA + " (this forgets every cached result of every instance in the database).");
        }
    }

    Optional<TaskRecord> findTask(String schema, String task, String cacheKey) {
        List<TaskRecord> rows = PgTx.run(pool, store, "look up task '" + task + "' in the cache", tx -> tx.query(
                "SELECT stage, task, cache_key, output_json, run_id, created_at FROM " + TASKS
                        + " WHERE schema_name = ? AND task = ? AND cache_key = ? AND NOT in_transaction"
                        + " ORDER BY created_at DESC LIMIT 1",
                rs -> new TaskRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getObject(6, OffsetDateTime.class).toInstant()),
                schema, task, cacheKey));
        return rows.stream().findFirst();
    }

    /** Every committed record of a stage, oldest first, in one query. */
    List<TaskRecord> committedTasks(String schema) {
        return PgTx.run(pool, store, "read the cache entries of schema '" + schema + "'", tx -> tx.query(
                "SELECT stage, task, cache_key, output_json, run_id, created_at FROM " + TASKS
                        + " WHERE schema_name = ? AND NOT in_transaction ORDER BY created_at",
                rs -> new TaskRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getObject(6, OffsetDateTime.class).toInstant()),
                schema));
    }

    /** Records {@code record} as uncommitted, replacing an earlier record of the same task in this transaction. */
    void recordTask(String schema, TaskRecord record) {
        PgTx.runStaged(pool, store, "record task '" + record.task() + "' of stage '" + record.stage() + "'", tx -> {
            tx.update("DELETE FROM " + TASKS + " WHERE schema_name = ? AND task = ? AND in_transaction",
                    schema, record.task());
            return tx.update("INSERT INTO " + TASKS + " (schema_name, stage, task, cache_key, output_json, run_id,"
                            + " created_at, in_transaction) VALUES (?, ?, ?, ?, ?, ?, ?, true)",
                    schema, record.stage(), record.task(), record.cacheKey(), record.outputJson(), record.runId(),
                    OffsetDateTime.ofInstant(record.createdAt(), ZoneOffset.UTC));
        });
    }

    /** Forgets the uncommitted records of a stage (inside the caller's transaction). */
    void deleteUncommitted(PgTx tx, String schema) throws SQLException {
        tx.update("DELETE FROM " + TASKS + " WHERE schema_name = ? AND in_transaction", schema);
    }

    /** Records several entries as uncommitted inside the caller's transaction (a stage's, at its commit). */
    void recordAll(PgTx tx, String schema, List<TaskRecord> records) throws SQLException {
        if (records.isEmpty()) {
            return;
        }
        tx.flushPrefix();
        String sql = tx.track("INSERT INTO " + TASKS + " (schema_name, stage, task, cache_key, output_json, run_id,"
                + " created_at, in_transaction) VALUES (?, ?, ?, ?, ?, ?, ?, true)");
        try (java.sql.PreparedStatement statement = tx.connection().prepareStatement(sql)) {
            for (TaskRecord r : records) {
                statement.setString(1, schema);
                statement.setString(2, r.stage());
                statement.setString(3, r.task());
                statement.setString(4, r.cacheKey());
                statement.setString(5, r.outputJson());
                statement.setString(6, r.runId());
                statement.setObject(7, OffsetDateTime.ofInstant(r.createdAt(), ZoneOffset.UTC));
                statement.addBatch();
            }
            statement.executeBatch();
        }
    }

    /**
     * Makes a stage's uncommitted records the committed ones, replacing the previous commit's, and
     * records the stage's new version (the run id of its newest record, or a fresh id when it has none)
     * and the flow that committed it. Runs inside the caller's transaction (the schema swap).
     */
    void commit(PgTx tx, String schema, String stage, String flow) throws SQLException {
        List<String> runIds = tx.query("SELECT run_id FROM " + TASKS + " WHERE schema_name = ? AND in_transaction"
                + " ORDER BY created_at DESC LIMIT 1", rs -> rs.getString(1), schema);
        String version = runIds.isEmpty() ? UUID.randomUUID().toString() : runIds.get(0);
        tx.update("DELETE FROM " + TASKS + " WHERE schema_name = ? AND NOT in_transaction", schema);
        tx.update("UPDATE " + TASKS + " SET in_transaction = false WHERE schema_name = ?", schema);
        tx.update("INSERT INTO " + STAGES + " (schema_name, stage, version, committed_at, flow)"
                + " VALUES (?, ?, ?, now(), ?) ON CONFLICT (schema_name) DO UPDATE SET stage = excluded.stage,"
                + " version = excluded.version, committed_at = excluded.committed_at, flow = excluded.flow",
                schema, stage, version, flow);
    }

    /** The flow that last committed {@code schema}, if it was committed by a Weir that records it. */
    Optional<String> owner(String schema) {
        List<String> rows = PgTx.run(pool, store, "read the owner of schema " + schema, tx -> tx.query(
                "SELECT flow FROM " + STAGES + " WHERE schema_name = ? AND flow IS NOT NULL", rs -> rs.getString(1),
                schema));
        return rows.stream().findFirst();
    }

    /** When the stage committed as {@code schema} last committed, if it ever did. */
    Optional<java.time.Instant> committedAt(String schema) {
        List<Long> rows = PgTx.run(pool, store, "read the commit time of schema " + schema, tx -> tx.query(
                "SELECT (extract(epoch FROM committed_at) * 1000)::bigint FROM " + STAGES + " WHERE schema_name = ?",
                rs -> rs.getLong(1), schema));
        return rows.stream().findFirst().map(java.time.Instant::ofEpochMilli);
    }

    /** The version of the stage committed as {@code schema}, if it was ever committed. */
    Optional<String> stageVersion(String schema) {
        List<String> rows = PgTx.run(pool, store, "read the version of schema " + schema, tx -> tx.query(
                "SELECT version FROM " + STAGES + " WHERE schema_name = ?", rs -> rs.getString(1), schema));
        return rows.stream().findFirst();
    }

    /**
     * The marker of the last commit of {@code schema}, if it was ever committed: its version with its commit
     * time in microseconds. The version alone may repeat (a commit of cache hits only keeps the run id of
     * the newest entry); the commit time is the committing transaction's start, so two commits differ.
     */
    Optional<String> commitMarker(String schema) {
        List<String> rows = PgTx.run(pool, store, "read the last commit of schema " + schema, tx -> tx.query(
                "SELECT version || ' at ' || (extract(epoch FROM committed_at) * 1000000)::bigint FROM " + STAGES
                        + " WHERE schema_name = ?", rs -> rs.getString(1), schema));
        return rows.stream().findFirst();
    }

    // ---------------------------------------------------------------- transactions begun and not ended

    /**
     * A stage's transaction schema that a run began and has not committed or aborted.
     *
     * @param state {@link #OPEN} or {@link #KEPT}
     * @param flow  the flow of the attempt that kept it (kept only)
     * @param runId the run that kept it (kept only)
     */
    record Transaction(String committedSchema, String stage, String transactionSchema, String state, String flow,
                       String runId) {
    }

    /** Records (or replaces) the transaction of a stage, inside the caller's transaction. */
    void transactionBegun(PgTx tx, Transaction transaction, String instanceId) throws SQLException {
        tx.update("INSERT INTO " + TRANSACTIONS + " (schema_name, stage, instance_id, transaction_schema, state, flow,"
                        + " run_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, now()) ON CONFLICT (schema_name) DO UPDATE"
                        + " SET stage = excluded.stage, instance_id = excluded.instance_id,"
                        + " transaction_schema = excluded.transaction_schema, state = excluded.state,"
                        + " flow = excluded.flow, run_id = excluded.run_id, updated_at = excluded.updated_at",
                transaction.committedSchema(), transaction.stage(), instanceId, transaction.transactionSchema(),
                transaction.state(), transaction.flow(), transaction.runId());
    }

    /** Forgets the transaction of a stage (committed, aborted or dropped), inside the caller's transaction. */
    void transactionEnded(PgTx tx, String schema) throws SQLException {
        tx.update("DELETE FROM " + TRANSACTIONS + " WHERE schema_name = ?", schema);
    }

    /** The transaction of the stage committed as {@code schema}, if one was begun and not ended. */
    Optional<Transaction> transaction(PgTx tx, String schema) throws SQLException {
        return transactions(tx, "schema_name = ?", schema).stream().findFirst();
    }

    /** The transactions of an instance still {@link #OPEN}. */
    List<Transaction> openTransactions(PgTx tx, String instanceId) throws SQLException {
        return transactions(tx, "instance_id = ? AND state = '" + OPEN + "'", instanceId);
    }

    private List<Transaction> transactions(PgTx tx, String where, String parameter) throws SQLException {
        return tx.query("SELECT schema_name, stage, transaction_schema, state, flow, run_id FROM " + TRANSACTIONS
                        + " WHERE " + where + " ORDER BY schema_name",
                rs -> new Transaction(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getString(6)), parameter);
    }

    /** The uncommitted cache entries of a stage (those of a kept attempt), oldest first. */
    List<TaskRecord> uncommittedTasks(PgTx tx, String schema) throws SQLException {
        return tx.query("SELECT stage, task, cache_key, output_json, run_id, created_at FROM " + TASKS
                        + " WHERE schema_name = ? AND in_transaction ORDER BY created_at",
                rs -> new TaskRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getObject(6, OffsetDateTime.class).toInstant()),
                schema);
    }

    // ---------------------------------------------------------------- append ledger

    /**
     * Claims {@code slice} of {@code table} in the ledger, inside the caller's transaction; waits while
     * another transaction holds the claim.
     *
     * @return true when claimed, false when an append of the slice has committed
     */
    boolean claimSlice(PgTx tx, TableLocation table, TableSlice slice) throws SQLException {
        return !tx.query("INSERT INTO " + APPENDS + " (schema_name, table_name, slice, attempt) VALUES (?, ?, ?, ?)"
                        + " ON CONFLICT DO NOTHING RETURNING 1", rs -> true, table.schema(), table.table(),
                slice.index(), slice.attempt()).isEmpty();
    }

    /** Records the rows of a slice claimed in the caller's transaction. */
    void sliceAppended(PgTx tx, TableLocation table, TableSlice slice, long rows) throws SQLException {
        tx.update("UPDATE " + APPENDS + " SET rows = ? WHERE schema_name = ? AND table_name = ? AND slice = ?",
                rows, table.schema(), table.table(), slice.index());
    }

    /** What the committed append of a slice recorded. */
    AppendResult appendedSlice(PgTx tx, TableLocation table, TableSlice slice) throws SQLException {
        return tx.query("SELECT rows, attempt FROM " + APPENDS + " WHERE schema_name = ? AND table_name = ?"
                        + " AND slice = ?", rs -> new AppendResult(rs.getLong(1), true, rs.getInt(2)),
                table.schema(), table.table(), slice.index()).get(0);
    }

    /** Forgets the ledger of one table (inside the caller's transaction). */
    void forgetSlices(PgTx tx, TableLocation table) throws SQLException {
        tx.update("DELETE FROM " + APPENDS + " WHERE schema_name = ? AND table_name = ?", table.schema(), table.table());
    }

    /** Forgets the ledger of every table of a schema (a transaction schema begun, committed or dropped). */
    void forgetSlices(PgTx tx, String schema) throws SQLException {
        tx.update("DELETE FROM " + APPENDS + " WHERE schema_name = ?", schema);
    }
}
