package dev.weir.stores.postgres;

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

/**
 * A table store on one PostgreSQL database. Each stage is a schema {@code <prefix><stage><suffix>};
 * a run writes into {@code <...>__tx}, and commit renames the schemas in one transaction (PostgreSQL
 * DDL is transactional), so readers see the old stage or the new one, never a mix. Arrow data goes
 * in by binary COPY and comes out by binary COPY; cache hits are copied inside the database.
 *
 * <p>The store answers the {@link TableStore} calls through collaborators of one concern each: stage names
 * and schemas ({@link PgStageNames}), stage transactions ({@link PgStageTransactions}), kept attempts and
 * orphans ({@link PgKeptAttempts}), tables written whole ({@link PgTableWrites}) or in slices
 * ({@link PgSlicedTables}), reads ({@link PgCopyReader}, {@link PgArrowReader}), the metadata schema
 * ({@link PgMetadata}), what an instance holds ({@link PgInstanceData}), other instances' stages
 * ({@link PgForeignStages}) and locks ({@link PgAdvisoryLocks}).
 *
 * <p>Thread-safe: every operation takes its own connection from the store's pool.
 */
final class PostgresTableStore implements TableStore {

    static final String KIND = "postgres";

    private final StoreSettings settings;
    private final PgPool pool;
    private final PgMetadata metadata;
    private final PgAdvisoryLocks locks;
    private final PgStageNames names;
    private final PgStageTransactions transactions;
    private final PgKeptAttempts kept;
    private final PgTableReads reads;
    private final PgTableWrites writes;
    private final PgSlicedTables sliced;
    private final PgInstanceData instanceData;
    private final PgForeignStages foreign;

    /** The most connections one read of a large table uses, and the pages each reads per COPY, by default. */
    static final int DEFAULT_READ_CONNECTIONS = 4;
    static final int DEFAULT_READ_RANGE_PAGES = 4096;

    /** How often a held lock's connection checks the lock when the store's settings do not say. */
    static final java.time.Duration DEFAULT_LOCK_KEEPALIVE = java.time.Duration.ofSeconds(10);

    private PostgresTableStore(StoreSettings settings, Map<String, String> env, PgPool pool,
                               java.time.Duration lockKeepalive, int readConnections, int readRangePages) {
        this.settings = settings;
        this.pool = pool;
        this.metadata = new PgMetadata(pool, this);
        this.locks = new PgAdvisoryLocks(pool, this, lockKeepalive);
        this.names = new PgStageNames(settings, this);
        this.kept = new PgKeptAttempts(pool, metadata, this, settings);
        this.transactions = new PgStageTransactions(pool, metadata, kept, names, settings.instanceId(), this);
        this.reads = new PgTableReads(pool, this, readConnections, readRangePages);
        this.writes = new PgTableWrites(pool, this);
        this.sliced = new PgSlicedTables(pool, metadata, this);
        this.instanceData = new PgInstanceData(pool, this, settings, names::committedSchema);
        this.foreign = new PgForeignStages(pool, metadata, env, this);
    }

    private static int positiveInt(StoreSettings settings, String key, int otherwise) {
        if (!settings.args().hasPath(key)) {
            return otherwise;
        }
        try {
            int value = settings.args().getInt(key);
            if (value >= 1) {
                return value;
            }
        } catch (com.typesafe.config.ConfigException e) {
            // reported below
        }
        throw StoreException.of(settings + ": key '" + key + "' must be a whole number of at least 1, was "
                + settings.args().getValue(key).unwrapped());
    }

    /** Connects (once, to fail early on bad settings) and returns the store. */
    static PostgresTableStore open(StoreSettings settings, Map<String, String> env) {
        PgConnectionSettings connection = PgConnectionSettings.from(settings, env);
        java.time.Duration lockKeepalive = PgConnectionSettings.duration(settings, "lock_keepalive",
                DEFAULT_LOCK_KEEPALIVE);
        int readConnections = positiveInt(settings, "read_connections", DEFAULT_READ_CONNECTIONS);
        int readRangePages = positiveInt(settings, "read_range_pages", DEFAULT_READ_RANGE_PAGES);
        return new PostgresTableStore(settings, env, PgPool.open(settings, connection), lockKeepalive,
                readConnections, readRangePages);
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public StoreSettings settings() {
        return settings;
    }

    @Override
    public void init() {
        metadata.init();
    }

    @Override
    public void reserve(dev.weir.engine.store.ConnectionDemand demand) {
        pool.reserve(demand);
    }

    // ---------------------------------------------------------------- stage transactions

    @Override
    public String committedSchema(String stage) {
        return names.committedSchema(stage);
    }

    @Override
    public String transactionSchema(String stage) {
        return names.transactionSchema(stage);
    }

    @Override
    public void beginStage(String stage) {
        resumeStage(stage, java.util.Set.of());
    }

    @Override
    public void resumeStage(String stage, java.util.Set<String> keep) {
        transactions.begin(stage, keep);
    }

    @Override
    public void keepStage(String stage, String flow, String runId) {
        transactions.keep(stage, flow, runId);
    }

    @Override
    public Optional<dev.weir.engine.store.KeptAttempt> keptAttempt(String stage) {
        return kept.kept(stage, committedSchema(stage), transactionSchema(stage));
    }

    @Override
    public Map<String, String> dropOrphanedTransactions() {
        return kept.dropOrphans();
    }

    @Override
    public void commitStage(String stage, String flow) {
        transactions.commit(stage, flow);
    }

    @Override
    public void abortStage(String stage) {
        transactions.abort(stage);
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
        transactions.forget(stage);
    }

    @Override
    public java.util.OptionalLong tableBytes(TableLocation location) {
        return instanceData.bytes(location, sqlName(location));
    }

    @Override
    public void recordRun(dev.weir.engine.store.RunRecord run) {
        instanceData.recordRun(run);
    }

    @Override
    public List<dev.weir.engine.store.RunRecord> lastRuns(int limit) {
        return instanceData.lastRuns(limit);
    }

    @Override
    public void forgetRuns() {
        instanceData.forgetRuns();
    }

    @Override
    public Optional<String> stageOwner(String stage) {
        return metadata.owner(committedSchema(stage));
    }

    /** See {@link PgStageNames#checkStage}. */
    @Override
    public void checkStageName(String stage) {
        names.checkStage(stage);
    }

    @Override
    public void checkTableName(String table) {
        names.checkTable(table);
    }

    @Override
    public boolean isCommitted(String stage) {
        return stageVersion(stage).isPresent();
    }

    @Override
    public Optional<String> stageVersion(String stage) {
        return metadata.stageVersion(committedSchema(stage));
    }

    @Override
    public Optional<String> commitMarker(String stage) {
        return metadata.commitMarker(committedSchema(stage));
    }

    @Override
    public Optional<java.time.Instant> committedAt(String stage) {
        return metadata.committedAt(committedSchema(stage));
    }

    // ---------------------------------------------------------------- tables

    @Override
    public String sqlName(TableLocation location) {
        return PgIdentifiers.qualified(location);
    }

    @Override
    public String quote(String identifier) {
        return PgIdentifiers.quote(identifier);
    }

    @Override
    public long writeArrow(TableLocation target, ArrowReader data, TableSpec spec) {
        return writes.writeArrow(target, data, spec);
    }

    @Override
    public long writeSql(TableLocation target, String selectSql, TableSpec spec) {
        return writes.writeSql(target, selectSql, spec);
    }

    @Override
    public void copyTable(TableLocation source, TableLocation target, TableSpec spec) {
        copyTables(List.of(new dev.weir.engine.store.TableCopy(source, target, spec)));
    }

    @Override
    public void copyTables(List<dev.weir.engine.store.TableCopy> copies) {
        writes.copyTables(copies);
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
        return reads.readArrow(source, allocator, options);
    }

    @Override
    public ArrowReader query(String sql, BufferAllocator allocator) {
        return reads.query(sql, allocator);
    }

    @Override
    public boolean exists(TableLocation location) {
        return reads.exists(location);
    }

    @Override
    public List<String> listTables(String schema) {
        return reads.listTables(schema);
    }

    @Override
    public long rowCount(TableLocation location) {
        return reads.rowCount(location);
    }

    /** See {@link PgTableReads#bucketExpression}. */
    @Override
    public String bucketExpression(List<String> columns, int buckets) {
        return PgTableReads.bucketExpression(columns, buckets);
    }

    /** See {@link PgTableReads#fingerprint}. */
    @Override
    public String fingerprint(TableLocation table, String where) {
        return reads.fingerprint(table, where);
    }

    @Override
    public void executeScript(String script) {
        PgTx.run(pool, this, "run an SQL script", t -> {
            t.execute(script);
            return null;
        });
    }

    // ---------------------------------------------------------------- cache metadata

    @Override
    public Optional<TaskRecord> findTask(String stage, String task, String cacheKey) {
        return metadata.findTask(committedSchema(stage), task, cacheKey);
    }

    @Override
    public List<TaskRecord> committedTasks(String stage) {
        return metadata.committedTasks(committedSchema(stage));
    }

    @Override
    public void recordTask(TaskRecord record) {
        if (!transactions.hold(record)) {
            metadata.recordTask(committedSchema(record.stage()), record);
        }
    }

    // ---------------------------------------------------------------- other instances

    @Override
    public Map<String, String> foreignStageTables(StoreSettings other, String stage) {
        return foreign.tables(other, stage);
    }

    @Override
    public Optional<String> foreignStageVersion(StoreSettings other, String stage) {
        return foreign.version(other, stage);
    }

    @Override
    public LockManager locks() {
        return locks;
    }

    @Override
    public Map<String, String> describe() {
        return Map.of("kind", KIND, "connection", settings.connectionName(), "server", pool.settings().address());
    }

    @Override
    public void close() {
        locks.close();
        pool.close();
    }

    @Override
    public String toString() {
        return settings.toString();
    }
}
