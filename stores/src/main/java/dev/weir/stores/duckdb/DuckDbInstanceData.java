package dev.weir.stores.duckdb;

import dev.weir.engine.store.RunRecord;
import dev.weir.engine.store.StoredStage;
import dev.weir.engine.store.TableLocation;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.duckdb.DuckDBConnection;

/**
 * What one instance holds in a DuckDB database, as a whole: its stages as the metadata knows them, what
 * each holds, dropping a stage ({@code weir clear}), table sizes and the instance's recorded runs
 * ({@code weir status}).
 *
 * <p>Instances sharing a database file are told apart by their schema names: a metadata row belongs to
 * this instance when its schema is the one this instance's prefix and suffix give its stage. Runs are
 * kept in {@code weir_metadata.runs} under the instance id, prefix and suffix.
 */
final class DuckDbInstanceData {

    private final DuckDbDatabase database;
    private final ViewSwitchingStages stages;
    private final String instanceId;

    DuckDbInstanceData(DuckDbDatabase database, ViewSwitchingStages stages, String instanceId) {
        this.database = database;
        this.stages = stages;
        this.instanceId = instanceId;
    }

    /** The stages with a commit, a transaction or cache entries of this instance, sorted. */
    List<String> stages() {
        String sql = "SELECT stage, schema_name FROM " + DuckDbMetadata.table(null, "stages")
                + " UNION SELECT stage, schema_name FROM " + DuckDbMetadata.table(null, "tasks")
                + " UNION SELECT stage, schema_name FROM " + DuckDbMetadata.table(null, "transactions");
        return database.withConnection("cannot list the stages of instance " + instanceId, connection -> {
            TreeSet<String> found = new TreeSet<>();
            try (PreparedStatement statement = database.bounded(connection.prepareStatement(sql));
                 ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    String stage = rows.getString(1);
                    if (stages.committedSchema(stage).equals(rows.getString(2))) {
                        found.add(stage);
                    }
                }
            } catch (SQLException e) {
                throw database.error("cannot list the stages of instance " + instanceId, sql, e);
            }
            return new ArrayList<>(found);
        });
    }

    /** The schemas of a stage: the committed one (views) and its two sides (tables). */
    private List<String> schemasOf(String stage) {
        String committed = stages.committedSchema(stage);
        return List.of(committed, ViewSwitchingStages.sideSchema(committed, ViewSwitchingStages.ODD),
                ViewSwitchingStages.sideSchema(committed, ViewSwitchingStages.EVEN));
    }

    StoredStage stored(String stage) {
        String committed = stages.committedSchema(stage);
        List<String> schemas = schemasOf(stage);
        return database.withConnection("cannot read what stage " + stage + " holds", connection -> {
            Map<String, Integer> existing = new LinkedHashMap<>();
            for (String schema : schemas) {
                if (!database.strings(connection, "cannot look up schema " + schema, "SELECT schema_name FROM"
                        + " duckdb_schemas() WHERE database_name = current_database() AND schema_name = ?",
                        schema).isEmpty()) {
                    existing.put(schema, count(connection, "SELECT count(*) FROM information_schema.tables"
                            + " WHERE table_catalog = current_database() AND table_schema = ?", schema));
                }
            }
            int entries = count(connection, "SELECT count(*) FROM " + DuckDbMetadata.table(null, "tasks")
                    + " WHERE schema_name = ?", committed);
            boolean isCommitted = count(connection, "SELECT count(*) FROM " + DuckDbMetadata.table(null, "stages")
                    + " WHERE schema_name = ?", committed) > 0;
            boolean transaction = count(connection, "SELECT count(*) FROM "
                    + DuckDbMetadata.table(null, "transactions") + " WHERE schema_name = ?", committed) > 0;
            int ledger = count(connection, "SELECT count(*) FROM " + DuckDbMetadata.table(null, "appends")
                    + " WHERE schema_name IN (?, ?, ?)", schemas.get(0), schemas.get(1), schemas.get(2));
            return new StoredStage(stage, existing, entries, isCommitted, transaction, ledger);
        });
    }

    /**
     * Drops the stage's schemas (views first, then both sides) and every metadata row of it, in one
     * transaction: a failure drops nothing.
     */
    void drop(String stage) {
        String committed = stages.committedSchema(stage);
        List<String> schemas = schemasOf(stage);
        database.inTransaction("cannot drop stage " + stage, connection -> {
            for (String schema : schemas) {
                database.execute(connection, "cannot drop schema " + schema,
                        "DROP SCHEMA IF EXISTS " + DuckDbSql.quote(schema) + " CASCADE");
            }
            for (String table : List.of("tasks", "stages", "transactions")) {
                database.update(connection, "cannot forget stage " + stage + " in " + DuckDbMetadata.SCHEMA + "."
                        + table, "DELETE FROM " + DuckDbMetadata.table(null, table) + " WHERE schema_name = ?",
                        committed);
            }
            database.update(connection, "cannot forget the append ledger of stage " + stage,
                    "DELETE FROM " + DuckDbMetadata.table(null, "appends") + " WHERE schema_name IN (?, ?, ?)",
                    schemas.get(0), schemas.get(1), schemas.get(2));
            return null;
        });
        stages.forget(stage);
    }

    /**
     * The storage blocks a table's columns occupy on disk, times the block size. A bound rather than an
     * exact figure: DuckDB reports no bytes per table, small columns share blocks with others, and data
     * not yet checkpointed has no block (then the size is unknown). A committed table is read through
     * its view, so the blocks are those of the table on the committed side.
     */
    OptionalLong bytes(TableLocation location) {
        return database.withConnection("cannot read the size of " + location, connection -> {
            String schema = location.schema();
            List<String> side = database.strings(connection, "cannot read the side of " + schema,
                    "SELECT current_side FROM " + DuckDbMetadata.table(null, "stages") + " WHERE schema_name = ?",
                    schema);
            if (!side.isEmpty()) {
                schema = ViewSwitchingStages.sideSchema(schema, side.get(0));
            }
            if (database.strings(connection, "cannot look up table " + location, "SELECT table_name FROM"
                    + " duckdb_tables() WHERE database_name = current_database() AND schema_name = ? AND table_name = ?",
                    schema, location.table()).isEmpty()) {
                return OptionalLong.empty();
            }
            String table = DuckDbSql.qualified(schema, location.table());
            String blocks = "SELECT count(DISTINCT b) FROM (SELECT block_id AS b FROM pragma_storage_info(?)"
                    + " WHERE persistent AND block_id >= 0 UNION ALL SELECT unnest(additional_block_ids)"
                    + " FROM pragma_storage_info(?) WHERE persistent) AS blocks";
            long used = Long.parseLong(database.strings(connection, "cannot read the storage of " + location,
                    blocks, table, table).get(0));
            if (used == 0) {
                return OptionalLong.empty();
            }
            long blockSize = Long.parseLong(database.strings(connection, "cannot read the block size",
                    "SELECT block_size FROM pragma_database_size() WHERE database_name = current_database()").get(0));
            return OptionalLong.of(used * blockSize);
        });
    }

    // ---------------------------------------------------------------- runs

    private String runsKey() {
        return "instance_id = ? AND schema_prefix = ? AND schema_suffix = ?";
    }

    void recordRun(RunRecord run) {
        DuckDbConfig config = database.config();
        String runs = DuckDbMetadata.table(null, "runs");
        database.inTransaction("cannot record run " + run.runId(), connection -> {
            database.update(connection, "cannot record run " + run.runId(), "INSERT INTO " + runs
                            + " (instance_id, schema_prefix, schema_suffix, run_id, flow, started_at, duration_ms,"
                            + " outcome, ran, cache_hits, failed, skipped, recorded_at)"
                            + " VALUES (?, ?, ?, ?, ?, make_timestamptz(?), ?, ?, ?, ?, ?, ?, now())",
                    instanceId, config.schemaPrefix(), config.schemaSuffix(), run.runId(), run.flow(),
                    micros(run.startedAt()), run.duration().toMillis(), run.outcome().label(), run.ran(),
                    run.cacheHits(), run.failed(), run.skipped());
            database.update(connection, "cannot forget old runs of instance " + instanceId, "DELETE FROM " + runs
                            + " WHERE " + runsKey() + " AND run_id NOT IN (SELECT run_id FROM " + runs + " WHERE "
                            + runsKey() + " ORDER BY recorded_at DESC, started_at DESC LIMIT "
                            + RunRecord.KEPT_PER_INSTANCE + ")",
                    instanceId, config.schemaPrefix(), config.schemaSuffix(),
                    instanceId, config.schemaPrefix(), config.schemaSuffix());
            return null;
        });
    }

    List<RunRecord> lastRuns(int limit) {
        DuckDbConfig config = database.config();
        String sql = "SELECT run_id, flow, epoch_us(started_at), duration_ms, outcome, ran, cache_hits, failed,"
                + " skipped FROM " + DuckDbMetadata.table(null, "runs") + " WHERE " + runsKey()
                + " ORDER BY recorded_at DESC, started_at DESC LIMIT ?";
        return database.withConnection("cannot read the runs of instance " + instanceId, connection -> {
            try (PreparedStatement statement = database.bounded(connection.prepareStatement(sql))) {
                statement.setString(1, instanceId);
                statement.setString(2, config.schemaPrefix());
                statement.setString(3, config.schemaSuffix());
                statement.setInt(4, Math.max(0, limit));
                List<RunRecord> runs = new ArrayList<>();
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        long us = rows.getLong(3);
                        runs.add(new RunRecord(rows.getString(1), rows.getString(2),
                                Instant.ofEpochSecond(Math.floorDiv(us, 1_000_000L), Math.floorMod(us, 1_000_000L) * 1_000L),
                                Duration.ofMillis(rows.getLong(4)), RunRecord.Outcome.ofLabel(rows.getString(5)),
                                rows.getInt(6), rows.getInt(7), rows.getInt(8), rows.getInt(9)));
                    }
                }
                return runs;
            } catch (SQLException e) {
                throw database.error("cannot read the runs of instance " + instanceId, sql, e);
            }
        });
    }

    void forgetRuns() {
        DuckDbConfig config = database.config();
        database.inTransaction("cannot forget the runs of instance " + instanceId, connection ->
                database.update(connection, "cannot forget the runs of instance " + instanceId, "DELETE FROM "
                                + DuckDbMetadata.table(null, "runs") + " WHERE " + runsKey(),
                        instanceId, config.schemaPrefix(), config.schemaSuffix()));
    }

    private static long micros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000L);
    }

    private int count(DuckDBConnection connection, String sql, Object... parameters) {
        return Integer.parseInt(database.strings(connection, "cannot count in " + DuckDbMetadata.SCHEMA, sql,
                parameters).get(0));
    }
}
