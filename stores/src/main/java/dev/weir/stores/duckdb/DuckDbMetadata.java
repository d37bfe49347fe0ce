package dev.weir.stores.duckdb;

import dev.weir.engine.store.AppendResult;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSlice;
import dev.weir.engine.store.TaskRecord;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.duckdb.DuckDBConnection;

/**
 * Weir's bookkeeping in the {@code weir_metadata} schema of a DuckDB database.
 *
 * <ul>
 *   <li>{@code version}: one row, the layout version of these tables; {@link #init} refuses a
 *       database written with another layout instead of misreading it.
 *   <li>{@code stages}: per committed stage schema, the physical side its views point at
 *       ({@code odd} or {@code even}), the stage version (changes at every commit) and the flow that
 *       committed it ({@code flow}, added in layout 2; null for stages committed before, which the
 *       next committing flow adopts).
 *   <li>{@code tasks}: cache entries. Rows recorded during a stage carry
 *       {@code in_transaction = true} until the stage commits; only committed rows are found.
 *   <li>{@code transactions}: per stage, the transaction schema a run began and has not committed or
 *       aborted: {@code open} while the run works in it (at the next run's start, a killed run's), or
 *       {@code kept} by a failed attempt for the next run to resume, with its flow and run id; the
 *       attempt's cache entries are its {@code in_transaction} rows in {@code tasks}.
 *   <li>{@code runs}: the last {@link dev.weir.engine.store.RunRecord#KEPT_PER_INSTANCE} runs of each instance
 *       (instance id, schema prefix and suffix), for {@code weir status} ({@link DuckDbInstanceData}).
 *   <li>{@code appends}: the append ledger of tables filled in slices ({@link DuckDbSlicedTables}),
 *       one row per slice appended to a table of a transaction schema, kept while the table fills.
 * </ul>
 * Rows are keyed by the committed schema name (prefix, stage, suffix), so instances that share one
 * file through different schema prefixes keep separate metadata. The methods take the caller's
 * connection so that a commit flips views and metadata in one transaction.
 */
final class DuckDbMetadata {

    static final String SCHEMA = "weir_metadata";
    static final int VERSION = 2;
    /** Layout 1 had no {@code stages.flow}; {@link #init} adds it. */
    private static final int UNOWNED_STAGES_VERSION = 1;

    private final DuckDbDatabase database;

    DuckDbMetadata(DuckDbDatabase database) {
        this.database = database;
    }

    /** Creates the tables if absent, then checks the layout version. */
    void init() {
        database.inTransaction("cannot create schema " + SCHEMA, connection -> {
            String schema = DuckDbSql.quote(SCHEMA);
            for (String ddl : List.of(
                    "CREATE SCHEMA IF NOT EXISTS " + schema,
                    "CREATE TABLE IF NOT EXISTS " + schema + ".version (version INTEGER NOT NULL)",
                    "CREATE TABLE IF NOT EXISTS " + schema + ".stages (schema_name VARCHAR PRIMARY KEY, "
                            + "stage VARCHAR NOT NULL, current_side VARCHAR NOT NULL, "
                            + "stage_version VARCHAR NOT NULL, committed_at TIMESTAMPTZ NOT NULL, flow VARCHAR)",
                    "CREATE TABLE IF NOT EXISTS " + schema + ".tasks (schema_name VARCHAR NOT NULL, "
                            + "stage VARCHAR NOT NULL, task VARCHAR NOT NULL, cache_key VARCHAR NOT NULL, "
                            + "output_json VARCHAR NOT NULL, run_id VARCHAR NOT NULL, "
                            + "created_at TIMESTAMPTZ NOT NULL, in_transaction BOOLEAN NOT NULL)",
                    // added without a version bump: older Weir versions neither read nor mind it
                    "CREATE TABLE IF NOT EXISTS " + schema + ".appends (schema_name VARCHAR NOT NULL, "
                            + "table_name VARCHAR NOT NULL, slice INTEGER NOT NULL, attempt INTEGER NOT NULL, "
                            + "rows BIGINT, PRIMARY KEY (schema_name, table_name, slice))",
                    // added without a version bump, like appends; no primary key: DuckDB refuses to insert a
                    // key deleted earlier in the same transaction, which replacing a row does
                    "CREATE TABLE IF NOT EXISTS " + schema + ".transactions (schema_name VARCHAR NOT NULL, "
                            + "stage VARCHAR NOT NULL, instance_id VARCHAR NOT NULL, "
                            + "transaction_schema VARCHAR NOT NULL, state VARCHAR NOT NULL, flow VARCHAR, "
                            + "run_id VARCHAR, updated_at TIMESTAMPTZ NOT NULL)",
                    // added without a version bump, like appends: a table older Weir versions never read
                    "CREATE TABLE IF NOT EXISTS " + schema + ".runs (instance_id VARCHAR NOT NULL, "
                            + "schema_prefix VARCHAR NOT NULL, schema_suffix VARCHAR NOT NULL, run_id VARCHAR NOT NULL, "
                            + "flow VARCHAR NOT NULL, started_at TIMESTAMPTZ NOT NULL, duration_ms BIGINT NOT NULL, "
                            + "outcome VARCHAR NOT NULL, ran INTEGER NOT NULL, cache_hits INTEGER NOT NULL, "
                            + "failed INTEGER NOT NULL, skipped INTEGER NOT NULL, recorded_at TIMESTAMPTZ NOT NULL)")) {
                database.execute(connection, "cannot create the metadata tables", ddl);
            }
            String select = "SELECT version FROM " + schema + ".version";
            List<String> versions = database.strings(connection, "cannot read the metadata version", select);
            if (versions.isEmpty()) {
                database.update(connection, "cannot write the metadata version",
                        "INSERT INTO " + schema + ".version VALUES (?)", VERSION);
            } else if (versions.size() == 1 && Integer.parseInt(versions.get(0)) == UNOWNED_STAGES_VERSION) {
                // layout 1 -> 2: stages gain their owning flow; the ones committed so far have none
                database.execute(connection, "cannot add the owning flow to " + SCHEMA + ".stages",
                        "ALTER TABLE " + schema + ".stages ADD COLUMN IF NOT EXISTS flow VARCHAR");
                database.update(connection, "cannot write the metadata version",
                        "UPDATE " + schema + ".version SET version = ?", VERSION);
            } else if (versions.size() != 1 || Integer.parseInt(versions.get(0)) != VERSION) {
                throw StoreException.of(database.storeName() + ": the metadata in schema " + SCHEMA
                        + " of " + database.config().describeLocation() + " has layout version "
                        + String.join(", ", versions) + ", but this Weir reads version " + VERSION
                        + ". Use the Weir version that wrote it, or point the instance at a new database file.");
            }
            return null;
        });
    }

    /** The side ({@code odd}/{@code even}) the committed views of a schema point at, if committed. */
    Optional<String> currentSide(DuckDBConnection connection, String catalog, String committedSchema) {
        return single(connection, "SELECT current_side FROM " + table(catalog, "stages")
                + " WHERE schema_name = ?", committedSchema);
    }

    /** The version of the last commit of a schema, if committed. */
    Optional<String> stageVersion(DuckDBConnection connection, String catalog, String committedSchema) {
        return single(connection, "SELECT stage_version FROM " + table(catalog, "stages")
                + " WHERE schema_name = ?", committedSchema);
    }

    /** The flow that made the last commit of a schema, if committed by a Weir that records it. */
    Optional<String> owner(DuckDBConnection connection, String committedSchema) {
        return single(connection, "SELECT flow FROM " + table(null, "stages") + " WHERE schema_name = ?",
                committedSchema);
    }

    /** When a schema last committed (milliseconds since the epoch), if committed. */
    Optional<java.time.Instant> committedAt(DuckDBConnection connection, String committedSchema) {
        return single(connection, "SELECT CAST(epoch_ms(committed_at) AS VARCHAR) FROM " + table(null, "stages")
                + " WHERE schema_name = ?", committedSchema).map(ms -> java.time.Instant.ofEpochMilli(Long.parseLong(ms)));
    }

    /**
     * Marks a stage committed on {@code side} by {@code flow} and makes its recorded tasks the committed
     * ones.
     */
    void commit(DuckDBConnection connection, String stage, String committedSchema, String side, String flow) {
        String runIds = "SELECT max(run_id) FROM " + table(null, "tasks")
                + " WHERE schema_name = ? AND in_transaction";
        String version = single(connection, runIds, committedSchema)
                .map(runId -> runId + "/" + UUID.randomUUID())
                .orElseGet(() -> UUID.randomUUID().toString());
        database.update(connection, "cannot record the commit of stage " + stage,
                "INSERT INTO " + table(null, "stages") + " (schema_name, stage, current_side, stage_version,"
                        + " committed_at, flow) VALUES (?, ?, ?, ?, now(), ?) ON CONFLICT (schema_name) "
                        + "DO UPDATE SET current_side = excluded.current_side, "
                        + "stage_version = excluded.stage_version, committed_at = excluded.committed_at, "
                        + "flow = excluded.flow",
                committedSchema, stage, side, version, flow);
        database.update(connection, "cannot drop the replaced cache entries of stage " + stage,
                "DELETE FROM " + table(null, "tasks") + " WHERE schema_name = ? AND NOT in_transaction",
                committedSchema);
        database.update(connection, "cannot commit the cache entries of stage " + stage,
                "UPDATE " + table(null, "tasks") + " SET in_transaction = false WHERE schema_name = ?",
                committedSchema);
    }

    /** Forgets the cache entries an unfinished or aborted run of a stage recorded. */
    void deleteUncommittedTasks(DuckDBConnection connection, String committedSchema) {
        database.update(connection, "cannot drop uncommitted cache entries of " + committedSchema,
                "DELETE FROM " + table(null, "tasks") + " WHERE schema_name = ? AND in_transaction",
                committedSchema);
    }

    void recordTask(DuckDBConnection connection, String committedSchema, TaskRecord record) {
        database.update(connection, "cannot record task " + record.task() + " of stage " + record.stage(),
                "INSERT INTO " + table(null, "tasks") + " VALUES (?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMPTZ), true)",
                committedSchema, record.stage(), record.task(), record.cacheKey(), record.outputJson(),
                record.runId(), record.createdAt().toString());
    }

    /** Records several entries with one prepared statement (a stage's entries, at its commit). */
    void recordTasks(DuckDBConnection connection, String committedSchema, List<TaskRecord> records) {
        if (records.isEmpty()) {
            return;
        }
        String sql = "INSERT INTO " + table(null, "tasks") + " VALUES (?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMPTZ), true)";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (TaskRecord r : records) {
                statement.setString(1, committedSchema);
                statement.setString(2, r.stage());
                statement.setString(3, r.task());
                statement.setString(4, r.cacheKey());
                statement.setString(5, r.outputJson());
                statement.setString(6, r.runId());
                statement.setString(7, r.createdAt().toString());
                statement.addBatch();
            }
            statement.executeBatch();
        } catch (SQLException e) {
            throw database.error("cannot record the cache entries of " + committedSchema, sql, e);
        }
    }

    List<TaskRecord> committedTasks(DuckDBConnection connection, String committedSchema, String stage) {
        return tasks(connection, committedSchema, stage, false);
    }

    private List<TaskRecord> tasks(DuckDBConnection connection, String committedSchema, String stage,
                                   boolean inTransaction) {
        String sql = "SELECT task, cache_key, output_json, run_id, epoch_us(created_at) FROM " + table(null, "tasks")
                + " WHERE schema_name = ? AND " + (inTransaction ? "" : "NOT ") + "in_transaction ORDER BY created_at";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, committedSchema);
            List<TaskRecord> records = new java.util.ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    long micros = rows.getLong(5);
                    Instant createdAt = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                            Math.floorMod(micros, 1_000_000L) * 1_000L);
                    records.add(new TaskRecord(stage, rows.getString(1), rows.getString(2), rows.getString(3),
                            rows.getString(4), createdAt));
                }
            }
            return records;
        } catch (SQLException e) {
            throw database.error("cannot read the cache entries of " + committedSchema, sql, e);
        }
    }

    Optional<TaskRecord> findTask(DuckDBConnection connection, String committedSchema, String stage, String task,
                                  String cacheKey) {
        String sql = "SELECT output_json, run_id, epoch_us(created_at) FROM " + table(null, "tasks")
                + " WHERE schema_name = ? AND task = ? AND cache_key = ? AND NOT in_transaction"
                + " ORDER BY created_at DESC LIMIT 1";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, committedSchema);
            statement.setString(2, task);
            statement.setString(3, cacheKey);
            try (ResultSet rows = statement.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                long micros = rows.getLong(3);
                Instant createdAt = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                        Math.floorMod(micros, 1_000_000L) * 1_000L);
                return Optional.of(new TaskRecord(stage, task, cacheKey, rows.getString(1), rows.getString(2),
                        createdAt));
            }
        } catch (SQLException e) {
            throw database.error("cannot look up task " + task + " of stage " + stage, sql, e);
        }
    }

    private Optional<String> single(DuckDBConnection connection, String sql, String parameter) {
        List<String> values = database.strings(connection, "cannot read " + SCHEMA, sql, parameter);
        return values.isEmpty() || values.get(0) == null ? Optional.empty() : Optional.of(values.get(0));
    }

    /** A metadata table, in this database ({@code catalog} null) or in an attached one. */
    static String table(String catalog, String name) {
        String schemaAndTable = DuckDbSql.qualified(SCHEMA, name);
        return catalog == null ? schemaAndTable : DuckDbSql.quote(catalog) + "." + schemaAndTable;
    }

    // ---------------------------------------------------------------- transactions begun and not ended

    static final String OPEN = "open";
    static final String KEPT = "kept";

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
    void transactionBegun(DuckDBConnection connection, Transaction transaction, String instanceId) {
        transactionEnded(connection, transaction.committedSchema());
        database.update(connection, "cannot record the transaction of stage " + transaction.stage(),
                "INSERT INTO " + table(null, "transactions") + " VALUES (?, ?, ?, ?, ?, ?, ?, now())",
                transaction.committedSchema(), transaction.stage(), instanceId, transaction.transactionSchema(),
                transaction.state(), transaction.flow(), transaction.runId());
    }

    /** Forgets the transaction of a stage (committed, aborted or dropped), inside the caller's transaction. */
    void transactionEnded(DuckDBConnection connection, String committedSchema) {
        database.update(connection, "cannot forget the transaction of " + committedSchema,
                "DELETE FROM " + table(null, "transactions") + " WHERE schema_name = ?", committedSchema);
    }

    /** The transaction of the stage committed as {@code committedSchema}, if one was begun and not ended. */
    Optional<Transaction> transaction(DuckDBConnection connection, String committedSchema) {
        return transactions(connection, "schema_name = ?", committedSchema).stream().findFirst();
    }

    /** The transactions of an instance still {@link #OPEN}. */
    List<Transaction> openTransactions(DuckDBConnection connection, String instanceId) {
        return transactions(connection, "instance_id = ? AND state = '" + OPEN + "'", instanceId);
    }

    private List<Transaction> transactions(DuckDBConnection connection, String where, String parameter) {
        String sql = "SELECT schema_name, stage, transaction_schema, state, flow, run_id FROM "
                + table(null, "transactions") + " WHERE " + where + " ORDER BY schema_name";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, parameter);
            List<Transaction> found = new java.util.ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    found.add(new Transaction(rows.getString(1), rows.getString(2), rows.getString(3),
                            rows.getString(4), rows.getString(5), rows.getString(6)));
                }
            }
            return found;
        } catch (SQLException e) {
            throw database.error("cannot read the stage transactions in " + SCHEMA, sql, e);
        }
    }

    /** The uncommitted cache entries of a stage (those of a kept attempt), oldest first. */
    List<TaskRecord> uncommittedTasks(DuckDBConnection connection, String committedSchema, String stage) {
        return tasks(connection, committedSchema, stage, true);
    }

    // ---------------------------------------------------------------- append ledger

    /**
     * Claims {@code slice} of {@code table} in the ledger, inside the caller's transaction.
     *
     * @return true when claimed, false when an append of the slice has committed
     */
    boolean claimSlice(DuckDBConnection connection, TableLocation table, TableSlice slice) {
        return !database.strings(connection, "cannot claim slice " + slice.index() + " of " + table,
                "INSERT INTO " + table(null, "appends") + " (schema_name, table_name, slice, attempt)"
                        + " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING slice",
                table.schema(), table.table(), slice.index(), slice.attempt()).isEmpty();
    }

    /** Records the rows of a slice claimed in the caller's transaction. */
    void sliceAppended(DuckDBConnection connection, TableLocation table, TableSlice slice, long rows) {
        database.update(connection, "cannot record slice " + slice.index() + " of " + table,
                "UPDATE " + table(null, "appends") + " SET rows = ? WHERE schema_name = ? AND table_name = ?"
                        + " AND slice = ?", rows, table.schema(), table.table(), slice.index());
    }

    /** What the committed append of a slice recorded. */
    AppendResult appendedSlice(DuckDBConnection connection, TableLocation table, TableSlice slice) {
        String[] recorded = database.strings(connection, "cannot read slice " + slice.index() + " of " + table,
                "SELECT concat_ws(':', rows, attempt) FROM " + table(null, "appends")
                        + " WHERE schema_name = ? AND table_name = ? AND slice = ?",
                table.schema(), table.table(), slice.index()).get(0).split(":");
        return new AppendResult(Long.parseLong(recorded[0]), true, Integer.parseInt(recorded[1]));
    }

    /** Forgets the ledger of one table (inside the caller's transaction). */
    void forgetSlices(DuckDBConnection connection, TableLocation table) {
        database.update(connection, "cannot forget the slices of " + table, "DELETE FROM " + table(null, "appends")
                + " WHERE schema_name = ? AND table_name = ?", table.schema(), table.table());
    }

    /** Forgets the ledger of every table of a physical schema (a transaction side emptied or published). */
    void forgetSlices(DuckDBConnection connection, String schema) {
        database.update(connection, "cannot forget the slices of " + schema, "DELETE FROM " + table(null, "appends")
                + " WHERE schema_name = ?", schema);
    }
}
