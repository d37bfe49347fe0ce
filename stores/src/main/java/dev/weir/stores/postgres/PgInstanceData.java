package dev.weir.stores.postgres;

import dev.weir.engine.store.RunRecord;
import dev.weir.engine.store.StoredStage;
import dev.weir.engine.store.TableLocation;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * What one instance holds in a PostgreSQL database, as a whole: its stages as the metadata knows them, what
 * each holds, dropping a stage ({@code weir clear}), table sizes and the instance's recorded runs
 * ({@code weir status}).
 *
 * <p>Instances sharing the database are told apart by their schema names: a metadata row belongs to this
 * instance when its schema is the one this instance's prefix and suffix give its stage. Runs are kept in
 * {@code weir_metadata.runs} under the instance id, prefix and suffix.
 */
final class PgInstanceData {

    static final String RUNS = PgMetadata.SCHEMA + ".runs";
    private static final String STAGES = PgMetadata.SCHEMA + ".stages";
    private static final String TASKS = PgMetadata.SCHEMA + ".tasks";
    private static final String TRANSACTIONS = PgMetadata.SCHEMA + ".transactions";
    private static final String APPENDS = PgMetadata.SCHEMA + ".appends";
    private static final String RUNS_KEY = "instance_id = ? AND schema_prefix = ? AND schema_suffix = ?";

    private final PgPool pool;
    private final Object store;
    private final dev.weir.engine.store.StoreSettings settings;
    /** The committed schema of a stage, checked for PostgreSQL's name length. */
    private final UnaryOperator<String> committedSchema;

    PgInstanceData(PgPool pool, Object store, dev.weir.engine.store.StoreSettings settings,
                   UnaryOperator<String> committedSchema) {
        this.pool = pool;
        this.store = store;
        this.settings = settings;
        this.committedSchema = committedSchema;
    }

    /** The stages with a commit, a transaction or cache entries of this instance, sorted. */
    List<String> stages() {
        List<String[]> rows = PgTx.run(pool, store, "list the stages of instance '" + settings.instanceId() + "'",
                t -> t.query("SELECT stage, schema_name FROM " + STAGES + " UNION SELECT stage, schema_name FROM "
                        + TASKS + " UNION SELECT stage, schema_name FROM " + TRANSACTIONS,
                        rs -> new String[] {rs.getString(1), rs.getString(2)}));
        TreeSet<String> found = new TreeSet<>();
        for (String[] row : rows) {
            if (ownSchema(row[0], row[1])) {
                found.add(row[0]);
            }
        }
        return new ArrayList<>(found);
    }

    /** True when {@code schema} is this instance's committed schema of {@code stage}. */
    private boolean ownSchema(String stage, String schema) {
        return schema.equals(settings.schemaPrefix() + stage + settings.schemaSuffix());
    }

    private List<String> schemasOf(String stage) {
        String committed = committedSchema.apply(stage);
        return List.of(committed, committed + PgStageNames.TX_SUFFIX, committed + PgStageNames.OLD_SUFFIX);
    }

    StoredStage stored(String stage) {
        String committed = committedSchema.apply(stage);
        List<String> schemas = schemasOf(stage);
        return PgTx.run(pool, store, "read what stage '" + stage + "' holds", t -> {
            Map<String, Integer> existing = new LinkedHashMap<>();
            for (String schema : schemas) {
                List<Integer> tables = t.query("SELECT (SELECT count(*) FROM pg_catalog.pg_class c WHERE"
                        + " c.relnamespace = n.oid AND c.relkind IN ('r', 'v', 'm', 'p', 'f'))::int"
                        + " FROM pg_catalog.pg_namespace n WHERE n.nspname = ?", rs -> rs.getInt(1), schema);
                if (!tables.isEmpty()) {
                    existing.put(schema, tables.get(0));
                }
            }
            int entries = count(t, "SELECT count(*) FROM " + TASKS + " WHERE schema_name = ?", committed);
            boolean committedRow = count(t, "SELECT count(*) FROM " + STAGES + " WHERE schema_name = ?", committed) > 0;
            boolean transaction = count(t, "SELECT count(*) FROM " + TRANSACTIONS + " WHERE schema_name = ?",
                    committed) > 0;
            int ledger = count(t, "SELECT count(*) FROM " + APPENDS + " WHERE schema_name IN (?, ?, ?)",
                    schemas.get(0), schemas.get(1), schemas.get(2));
            return new StoredStage(stage, existing, entries, committedRow, transaction, ledger);
        });
    }

    /** Drops the stage's schemas and every metadata row of it, in one transaction: a failure drops nothing. */
    void drop(String stage) {
        String committed = committedSchema.apply(stage);
        List<String> schemas = schemasOf(stage);
        PgTx.run(pool, store, "drop stage '" + stage + "'", t -> {
            for (String schema : schemas) {
                t.execute("DROP SCHEMA IF EXISTS " + PgIdentifiers.quote(schema) + " CASCADE");
            }
            for (String table : List.of(TASKS, STAGES, TRANSACTIONS)) {
                t.update("DELETE FROM " + table + " WHERE schema_name = ?", committed);
            }
            t.update("DELETE FROM " + APPENDS + " WHERE schema_name IN (?, ?, ?)", schemas.get(0), schemas.get(1),
                    schemas.get(2));
            return null;
        });
    }

    /** {@code pg_total_relation_size}: the table's data, its indexes and its TOAST; empty when it does not exist. */
    OptionalLong bytes(TableLocation location, String sqlName) {
        List<Long> size = PgTx.run(pool, store, "read the size of " + location, t -> t.query(
                "SELECT pg_total_relation_size(to_regclass(?))", rs -> rs.getObject(1) == null ? null : rs.getLong(1),
                sqlName));
        return size.isEmpty() || size.get(0) == null ? OptionalLong.empty() : OptionalLong.of(size.get(0));
    }

    // ---------------------------------------------------------------- runs

    void recordRun(RunRecord run) {
        PgTx.run(pool, store, "record run " + run.runId(), t -> {
            t.update("INSERT INTO " + RUNS + " (instance_id, schema_prefix, schema_suffix, run_id, flow, started_at,"
                            + " duration_ms, outcome, ran, cache_hits, failed, skipped, recorded_at)"
                            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, clock_timestamp())",
                    settings.instanceId(), settings.schemaPrefix(), settings.schemaSuffix(), run.runId(), run.flow(),
                    OffsetDateTime.ofInstant(run.startedAt(), ZoneOffset.UTC), run.duration().toMillis(),
                    run.outcome().label(), run.ran(), run.cacheHits(), run.failed(), run.skipped());
            t.update("DELETE FROM " + RUNS + " WHERE " + RUNS_KEY + " AND run_id NOT IN (SELECT run_id FROM " + RUNS
                            + " WHERE " + RUNS_KEY + " ORDER BY recorded_at DESC, started_at DESC LIMIT "
                            + RunRecord.KEPT_PER_INSTANCE + ")",
                    settings.instanceId(), settings.schemaPrefix(), settings.schemaSuffix(),
                    settings.instanceId(), settings.schemaPrefix(), settings.schemaSuffix());
            return null;
        });
    }

    List<RunRecord> lastRuns(int limit) {
        return PgTx.run(pool, store, "read the runs of instance '" + settings.instanceId() + "'", t -> t.query(
                "SELECT run_id, flow, started_at, duration_ms, outcome, ran, cache_hits, failed, skipped FROM " + RUNS
                        + " WHERE " + RUNS_KEY + " ORDER BY recorded_at DESC, started_at DESC LIMIT ?",
                rs -> new RunRecord(rs.getString(1), rs.getString(2), rs.getObject(3, OffsetDateTime.class).toInstant(),
                        Duration.ofMillis(rs.getLong(4)), RunRecord.Outcome.ofLabel(rs.getString(5)), rs.getInt(6),
                        rs.getInt(7), rs.getInt(8), rs.getInt(9)),
                settings.instanceId(), settings.schemaPrefix(), settings.schemaSuffix(), Math.max(0, limit)));
    }

    void forgetRuns() {
        PgTx.run(pool, store, "forget the runs of instance '" + settings.instanceId() + "'", t -> t.update(
                "DELETE FROM " + RUNS + " WHERE " + RUNS_KEY,
                settings.instanceId(), settings.schemaPrefix(), settings.schemaSuffix()));
    }

    private static int count(PgTx t, String sql, Object... parameters) throws java.sql.SQLException {
        return t.query(sql, rs -> rs.getInt(1), parameters).get(0);
    }
}
