package dev.weir.stores.duckdb;

import dev.weir.engine.store.AppendResult;
import dev.weir.engine.store.LockManager;
import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSlice;
import dev.weir.engine.store.TableSpec;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TaskRecord;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;
import org.duckdb.DuckDBConnection;

/**
 * A table store in an embedded DuckDB database file, one file per instance by default.
 *
 * <p>Thread-safe: every call works on its own duplicate of one root connection. Stage
 * transactions switch views between two physical schemas ({@link ViewSwitchingStages}); Arrow
 * moves through the C Data interface ({@link DuckDbArrowIo}, which documents the type mapping);
 * tables filled in slices are appended to slice by slice ({@link DuckDbSlicedTables}).
 * Errors are {@link dev.weir.engine.store.StoreException}s naming this store and the SQL; only
 * transaction conflicts and a file locked by another process are transient.
 *
 * <p>One process at a time may open the database file. The store opens it when it is created if no
 * other process has it; otherwise it opens it when a run takes its lock ({@link #locks()}), which
 * waits for the other process to close it ({@link DuckDbLocks}). {@link #init()} takes effect once
 * the file is open.
 */
public final class DuckDbTableStore implements TableStore {

    private final StoreSettings settings;
    private final DuckDbDatabase database;
    private final DuckDbMetadata metadata;
    private final ViewSwitchingStages stages;
    private final ForeignInstances foreign;
    private final DuckDbLocks locks;
    private final DuckDbSlicedTables sliced;
    private final DuckDbInstanceData instanceData;
    /** The database file, or for an in-memory database the path lock files are named after. */
    private final java.nio.file.Path fileBase;

    DuckDbTableStore(StoreSettings settings, DuckDbConfig config) {
        this.settings = settings;
        this.database = DuckDbDatabase.of(config, settings.toString());
        // Opens the file now if no other process has it; otherwise the run's lock waits for it (locks()).
        database.tryOpen();
        this.metadata = new DuckDbMetadata(database);
        this.stages = new ViewSwitchingStages(database, metadata, settings.instanceId());
        this.foreign = new ForeignInstances(database, metadata);
        this.sliced = new DuckDbSlicedTables(database, metadata);
        this.instanceData = new DuckDbInstanceData(database, stages, settings.instanceId());
        this.fileBase = config.databaseFile().orElse(settings.workDir().resolve(settings.instanceId() + ".duckdb"))
                .toAbsolutePath().normalize();
        this.locks = new DuckDbLocks(database, new FileLockManager(fileBase, settings.toString()));
    }

    @Override
    public String kind() {
        return DuckDbStoreFactory.KIND;
    }

    @Override
    public StoreSettings settings() {
        return settings;
    }

    @Override
    public void init() {
        database.afterOpen(metadata::init);
    }

    @Override
    public String committedSchema(String stage) {
        return stages.committedSchema(stage);
    }

    @Override
    public String transactionSchema(String stage) {
        return stages.transactionSchema(stage);
    }

    @Override
    public void beginStage(String stage) {
        stages.begin(stage);
    }

    @Override
    public void commitStage(String stage, String flow) {
        stages.commit(stage, java.util.Objects.requireNonNull(flow, "flow is null"));
    }

    @Override
    public Optional<String> stageOwner(String stage) {
        return stages.owner(stage);
    }

    @Override
    public Optional<java.time.Instant> committedAt(String stage) {
        return stages.committedAt(stage);
    }

    /**
     * DuckDB matches names without regard to case, so a stage's schemas may equal no internal schema in
     * any case: not a side ({@code __odd}, {@code __even}) of another stage, not the metadata schema, not
     * one of DuckDB's own.
     */
    @Override
    public void checkStageName(String stage) {
        if (stage == null || stage.isEmpty()) {
            throw StoreException.of(this + ": a stage name must not be empty");
        }
        String committed = stages.committedSchema(stage);
        String lower = committed.toLowerCase(java.util.Locale.ROOT);
        for (String side : List.of(ViewSwitchingStages.ODD, ViewSwitchingStages.EVEN)) {
            if (lower.endsWith("__" + side)) {
                throw StoreException.of(this + ": stage '" + stage + "' cannot be stored: its schema " + committed
                        + " ends like the schema (__" + side + ") that holds the tables of another stage's"
                        + " transaction. Rename the stage.");
            }
        }
        for (String schema : List.of(committed, ViewSwitchingStages.sideSchema(committed, ViewSwitchingStages.ODD),
                ViewSwitchingStages.sideSchema(committed, ViewSwitchingStages.EVEN))) {
            String reserved = schema.toLowerCase(java.util.Locale.ROOT);
            if (RESERVED_SCHEMAS.contains(reserved)) {
                throw StoreException.of(this + ": stage '" + stage + "' cannot be stored: its schema " + schema
                        + " is " + (reserved.equals(DuckDbMetadata.SCHEMA) ? "Weir's metadata schema"
                        : "a schema of DuckDB's own") + ". Rename the stage, or give the instance a schema prefix.");
            }
        }
    }

    /** Schemas a stage must not use: Weir's metadata and DuckDB's own (lower case). */
    private static final java.util.Set<String> RESERVED_SCHEMAS = java.util.Set.of(DuckDbMetadata.SCHEMA, "main",
            "information_schema", "pg_catalog", "temp");

    @Override
    public void checkTableName(String table) {
        if (table == null || table.isEmpty()) {
            throw StoreException.of(this + ": a table name must not be empty");
        }
        if (table.indexOf('\0') >= 0) {
            throw StoreException.of(this + ": table name '" + table.replace('\0', '?') + "' contains a NUL character");
        }
    }

    @Override
    public void abortStage(String stage) {
        stages.abort(stage);
    }

    @Override
    public void keepStage(String stage, String flow, String runId) {
        stages.keep(stage, flow, runId);
    }

    @Override
    public Optional<dev.weir.engine.store.KeptAttempt> keptAttempt(String stage) {
        return stages.keptAttempt(stage);
    }

    @Override
    public void resumeStage(String stage, java.util.Set<String> keep) {
        stages.resume(stage, keep);
    }

    @Override
    public Map<String, String> dropOrphanedTransactions() {
        return stages.dropOrphans();
    }

    @Override
    public boolean isCommitted(String stage) {
        return stages.isCommitted(stage);
    }

    @Override
    public Optional<String> stageVersion(String stage) {
        return stages.stageVersion(stage);
    }

    /** The stage's version: each commit records a fresh one (its run id with a random suffix). */
    @Override
    public Optional<String> commitMarker(String stage) {
        return stages.stageVersion(stage);
    }

    @Override
    public String sqlName(TableLocation location) {
        return DuckDbSql.qualified(location.schema(), location.table());
    }

    @Override
    public String quote(String identifier) {
        return DuckDbSql.quote(identifier);
    }

    @Override
    public long writeArrow(TableLocation target, ArrowReader data, TableSpec spec) {
        return new DuckDbTableWriter(database, target, spec).fromArrow(data);
    }

    @Override
    public long writeSql(TableLocation target, String selectSql, TableSpec spec) {
        return new DuckDbTableWriter(database, target, spec).fromSelect(selectSql);
    }

    @Override
    public void copyTable(TableLocation source, TableLocation target, TableSpec spec) {
        new DuckDbTableWriter(database, target, spec).fromSelect("SELECT * FROM " + sqlName(source));
    }

    /** All copies in one DuckDB transaction: one commit for a whole stage's cache hits. */
    @Override
    public void copyTables(List<dev.weir.engine.store.TableCopy> copies) {
        if (copies.isEmpty()) {
            return;
        }
        database.inTransaction("cannot carry " + copies.size() + " tables forward", connection -> {
            for (dev.weir.engine.store.TableCopy copy : copies) {
                new DuckDbTableWriter(database, copy.target(), copy.spec())
                        .fromSelect(connection, "SELECT * FROM " + sqlName(copy.source()));
            }
            return null;
        });
    }

    @Override
    public void createTable(TableLocation target, Schema columns) {
        sliced.create(target, columns);
    }

    @Override
    public AppendResult appendArrow(TableLocation target, ArrowReader data, TableSlice slice) {
        return sliced.append(target, data, slice);
    }

    @Override
    public void sealTable(TableLocation target, TableSpec spec) {
        sliced.seal(target, spec);
    }

    @Override
    public void dropTable(TableLocation location) {
        sliced.drop(location);
    }

    @Override
    public ArrowReader readArrow(TableLocation source, BufferAllocator allocator, ReadOptions options) {
        String columns = options.columns().isEmpty() ? "*" : DuckDbSql.columnList(options.columns());
        String sql = "SELECT " + columns + " FROM " + sqlName(source)
                + (options.where() == null ? "" : " WHERE " + options.where());
        return DuckDbArrowIo.query(database, "cannot read table " + source, sql, allocator, options.batchRows());
    }

    @Override
    public ArrowReader query(String sql, BufferAllocator allocator) {
        return DuckDbArrowIo.query(database, "query failed", sql, allocator, ReadOptions.DEFAULT_BATCH_ROWS);
    }

    @Override
    public boolean exists(TableLocation location) {
        return database.withConnection("cannot look up table " + location, connection ->
                !database.strings(connection, "cannot look up table " + location,
                        "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database()"
                                + " AND table_schema = ? AND table_name = ?",
                        location.schema(), location.table()).isEmpty());
    }

    @Override
    public List<String> listTables(String schema) {
        return database.withConnection("cannot list schema " + schema, connection ->
                database.strings(connection, "cannot list schema " + schema,
                        "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database()"
                                + " AND table_schema = ? ORDER BY table_name", schema));
    }

    @Override
    public long rowCount(TableLocation location) {
        String sql = "SELECT count(*) FROM " + sqlName(location);
        return database.withConnection("cannot count rows of " + location, connection ->
                Long.parseLong(database.strings(connection, "cannot count rows of " + location, sql).get(0)));
    }

    /** DuckDB's {@code hash()} of the row of grouping columns, a stable 64-bit hash. */
    @Override
    public String bucketExpression(List<String> columns, int buckets) {
        if (buckets < 1 || columns.isEmpty()) {
            throw new IllegalArgumentException("a bucket expression needs columns and at least one bucket");
        }
        String cols = String.join(", ", columns.stream().map(DuckDbSql::quote).toList());
        return "CAST(hash(" + cols + ") % " + buckets + " AS INTEGER)";
    }

    /**
     * The row count and two sums of 64-bit row hashes ({@code hash} of the row as a struct, and of the
     * row with a salt) as HUGEINTs: sums are order-independent and, unlike {@code bit_xor}, do not
     * cancel out for duplicate rows.
     */
    @Override
    public String fingerprint(TableLocation table, String where) {
        String sql = "SELECT concat_ws(':', count(*), coalesce(sum(hash(weir_row)), 0),"
                + " coalesce(sum(hash(weir_row, 'weir')), 0)) FROM " + sqlName(table) + " AS weir_row"
                + (where == null ? "" : " WHERE " + where);
        return database.withConnection("cannot fingerprint " + table, connection ->
                database.strings(connection, "cannot fingerprint " + table, sql).get(0));
    }

    @Override
    public void executeScript(String script) {
        database.inTransaction("script failed", connection -> {
            database.execute(connection, "script failed", script);
            return null;
        });
    }

    @Override
    public Optional<TaskRecord> findTask(String stage, String task, String cacheKey) {
        return database.withConnection("cannot look up task " + task, connection ->
                metadata.findTask(connection, committedSchema(stage), stage, task, cacheKey));
    }

    @Override
    public List<TaskRecord> committedTasks(String stage) {
        return database.withConnection("cannot look up the cache entries of stage " + stage, connection ->
                metadata.committedTasks(connection, committedSchema(stage), stage));
    }

    @Override
    public void recordTask(TaskRecord record) {
        stages.record(record);
    }

    @Override
    public List<String> stages() {
        return instanceData.stages();
    }

    @Override
    public dev.weir.engine.store.StoredStage storedStage(String stage) {
        return instanceData.stored(stage);
    }

    @Override
    public void dropStage(String stage) {
        instanceData.drop(stage);
    }

    @Override
    public java.util.OptionalLong tableBytes(TableLocation location) {
        return instanceData.bytes(location);
    }

    @Override
    public void recordRun(dev.weir.engine.store.RunRecord run) {
        instanceData.recordRun(run);
    }

    @Override
    public List<dev.weir.engine.store.RunRecord> lastRuns(int limit) {
        return instanceData.lastRuns(limit);
    }

    /** The database file and every file named after it beside it: its WAL, its lock file, the named locks' files. */
    @Override
    public boolean usesLocalFile(java.nio.file.Path file) {
        java.nio.file.Path absolute = file.toAbsolutePath().normalize();
        return absolute.equals(fileBase) || (java.util.Objects.equals(absolute.getParent(), fileBase.getParent())
                && absolute.getFileName().toString().startsWith(fileBase.getFileName() + "."));
    }

    @Override
    public void forgetRuns() {
        instanceData.forgetRuns();
    }

    @Override
    public Map<String, String> foreignStageTables(StoreSettings other, String stage) {
        return foreign.stageTables(other, stage);
    }

    @Override
    public Optional<String> foreignStageVersion(StoreSettings other, String stage) {
        return foreign.stageVersion(other, stage);
    }

    @Override
    public LockManager locks() {
        return locks;
    }

    @Override
    public Map<String, String> describe() {
        return Map.of("kind", kind(), "connection", settings.connectionName(),
                "database", database.config().describeLocation());
    }

    @Override
    public void close() {
        database.close();
    }

    @Override
    public String toString() {
        return settings.toString();
    }
}
