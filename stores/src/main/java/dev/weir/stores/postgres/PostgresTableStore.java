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
import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A table store on one PostgreSQL database. Each stage is a schema {@code <prefix><stage><suffix>};
 * a run writes into {@code <...>__tx}, and commit renames the schemas in one transaction (PostgreSQL
 * DDL is transactional), so readers see the old stage or the new one, never a mix. Arrow data goes
 * in by binary COPY and comes out by binary COPY; cache hits are copied inside the database. Tables
 * filled in slices (batched tasks' outputs) are appended to slice by slice ({@link PgSlicedTables}).
 *
 * <p>Thread-safe: every operation takes its own connection from the store's pool.
 */
final class PostgresTableStore implements TableStore {

    static final String KIND = "postgres";
    static final String TX_SUFFIX = "__tx";
    static final String OLD_SUFFIX = "__old";

    /**
     * The cache entries recorded in each stage begun through this store, by task, written in the stage
     * commit's own transaction: they only become visible at commit anyway, and writing them there saves
     * a transaction per task. An entry recorded twice (a retried task) keeps the last.
     */
    private final Map<String, Map<String, TaskRecord>> recorded = new java.util.concurrent.ConcurrentHashMap<>();

    private final StoreSettings settings;
    private final Map<String, String> env;
    private final PgPool pool;
    private final PgMetadata metadata;
    private final PgAdvisoryLocks locks;
    private final PgSlicedTables sliced;
    private final PgKeptAttempts kept;
    private final PgInstanceData instanceData;

    /** The most connections one read of a large table uses, and the pages each reads per COPY. */
    private final int readConnections;
    private final int readRangePages;
    static final int DEFAULT_READ_CONNECTIONS = 4;
    static final int DEFAULT_READ_RANGE_PAGES = 4096;

    /** How often a held lock's connection checks the lock when the store's settings do not say. */
    static final java.time.Duration DEFAULT_LOCK_KEEPALIVE = java.time.Duration.ofSeconds(10);

    private PostgresTableStore(StoreSettings settings, Map<String, String> env, PgPool pool,
                               java.time.Duration lockKeepalive, int readConnections, int readRangePages) {
        this.settings = settings;
        this.env = Map.copyOf(env);
        this.pool = pool;
        this.metadata = new PgMetadata(pool, this);
        this.locks = new PgAdvisoryLocks(pool, this, lockKeepalive);
        this.sliced = new PgSlicedTables(pool, metadata, this);
        this.kept = new PgKeptAttempts(pool, metadata, this, settings);
        this.instanceData = new PgInstanceData(pool, this, settings, this::committedSchema);
        this.readConnections = readConnections;
        this.readRangePages = readRangePages;
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
        Objects.requireNonNull(stage, "stage is null");
        String schema = settings.schemaPrefix() + stage + settings.schemaSuffix();
        // The longest name Weir derives from it must survive PostgreSQL's 63-byte limit too.
        PgIdentifiers.checkLength("schema (with the " + OLD_SUFFIX + " suffix used while committing) of stage '"
                + stage + "'", schema + OLD_SUFFIX, this);
        return schema;
    }

    @Override
    public String transactionSchema(String stage) {
        return committedSchema(stage) + TX_SUFFIX;
    }

    @Override
    public void beginStage(String stage) {
        resumeStage(stage, java.util.Set.of());
    }

    @Override
    public void resumeStage(String stage, java.util.Set<String> keep) {
        String committed = committedSchema(stage);
        String tx = transactionSchema(stage);
        recorded.remove(stage);
        PgTx.run(pool, this, "begin stage '" + stage + "'", t -> {
            if (keep.isEmpty()) {
                t.execute("DROP SCHEMA IF EXISTS " + quote(tx) + " CASCADE", "CREATE SCHEMA " + quote(tx));
            } else {
                kept.dropAllBut(t, stage, committed, tx, keep);
            }
            metadata.deleteUncommitted(t, committed);
            metadata.forgetSlices(t, tx);
            metadata.transactionBegun(t, new PgMetadata.Transaction(committed, stage, tx, PgMetadata.OPEN, null, null),
                    settings.instanceId());
            return null;
        });
        recorded.put(stage, java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>()));
    }

    @Override
    public void keepStage(String stage, String flow, String runId) {
        Map<String, TaskRecord> pending = recorded.remove(stage);
        List<TaskRecord> records = null;
        if (pending != null) {
            synchronized (pending) {
                records = List.copyOf(pending.values());
            }
        }
        kept.keep(stage, committedSchema(stage), transactionSchema(stage), flow, runId, records);
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
        Objects.requireNonNull(flow, "flow is null");
        String committed = committedSchema(stage);
        String tx = transactionSchema(stage);
        String old = committed + OLD_SUFFIX;
        PgTx.run(pool, this, "commit stage '" + stage + "'", t -> {
            if (!schemaExists(t, tx)) {
                throw StoreException.of(this + ": cannot commit stage '" + stage + "': its transaction schema "
                        + tx + " does not exist (was the stage begun, or already committed or aborted?)");
            }
            t.execute("DROP SCHEMA IF EXISTS " + quote(old) + " CASCADE");
            if (schemaExists(t, committed)) {
                t.execute("ALTER SCHEMA " + quote(committed) + " RENAME TO " + quote(old));
            }
            t.execute("ALTER SCHEMA " + quote(tx) + " RENAME TO " + quote(committed),
                    "DROP SCHEMA IF EXISTS " + quote(old) + " CASCADE");
            Map<String, TaskRecord> pending = recorded.get(stage);
            if (pending != null) {
                synchronized (pending) {
                    metadata.recordAll(t, committed, List.copyOf(pending.values()));
                }
            }
            metadata.commit(t, committed, stage, flow);
            metadata.forgetSlices(t, tx);
            metadata.transactionEnded(t, committed);
            return null;
        });
        recorded.remove(stage);
    }

    @Override
    public void abortStage(String stage) {
        String committed = committedSchema(stage);
        String tx = transactionSchema(stage);
        recorded.remove(stage);
        PgTx.run(pool, this, "abort stage '" + stage + "'", t -> {
            t.execute("DROP SCHEMA IF EXISTS " + quote(tx) + " CASCADE");
            metadata.deleteUncommitted(t, committed);
            metadata.forgetSlices(t, tx);
            metadata.transactionEnded(t, committed);
            return null;
        });
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
        recorded.remove(stage);
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

    /**
     * A stage's schemas must fit PostgreSQL's 63 bytes with the instance's prefix and suffix, and be none
     * of the store's internal schemas (another stage's {@code __tx} or {@code __old} schema, the metadata
     * schema) nor one the server reserves or every database has ({@code pg_*}, {@code public},
     * {@code information_schema}): a commit renames and drops the schema it replaces.
     */
    @Override
    public void checkStageName(String stage) {
        if (stage == null || stage.isEmpty()) {
            throw StoreException.of(this + ": a stage name must not be empty");
        }
        String committed = committedSchema(stage);
        for (String internal : List.of(TX_SUFFIX, OLD_SUFFIX)) {
            if (committed.endsWith(internal)) {
                throw StoreException.of(this + ": stage '" + stage + "' cannot be stored: its schema " + committed
                        + " ends like the schema (" + internal + ") another stage uses while it "
                        + (internal.equals(TX_SUFFIX) ? "runs" : "commits") + ". Rename the stage.");
            }
        }
        for (String schema : List.of(committed, transactionSchema(stage), committed + OLD_SUFFIX)) {
            if (schema.equals(PgMetadata.SCHEMA) || schema.equals("public") || schema.equals("information_schema")
                    || schema.startsWith("pg_")) {
                throw StoreException.of(this + ": stage '" + stage + "' cannot be stored: its schema " + schema
                        + " is " + (schema.equals(PgMetadata.SCHEMA) ? "Weir's metadata schema"
                        : "reserved by PostgreSQL or present in every database") + ". Rename the stage, or give"
                        + " the instance a schema prefix.");
            }
        }
    }

    @Override
    public void checkTableName(String table) {
        if (table == null || table.isEmpty()) {
            throw StoreException.of(this + ": a table name must not be empty");
        }
        if (table.indexOf('\0') >= 0) {
            throw StoreException.of(this + ": table name '" + table.replace('\0', '?') + "' contains a NUL character");
        }
        PgIdentifiers.checkLength("table", table, this);
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
        PgIdentifiers.checkLength("table", target.table(), this);
        Schema schema;
        try {
            schema = data.getVectorSchemaRoot().getSchema();
        } catch (IOException e) {
            throw new StoreException(this + ": cannot read the Arrow schema for table " + target, e);
        }
        List<ArrowCopyColumns.Column> columns;
        try {
            columns = ArrowCopyColumns.columns(schema, target.toString());
        } catch (StoreException e) {
            throw StoreException.of(this + ": " + e.getMessage());
        }
        String name = sqlName(target);
        List<String> definitions = new ArrayList<>();
        for (ArrowCopyColumns.Column column : columns) {
            definitions.add(quote(column.name()) + " " + column.sqlType());
        }
        // FREEZE: the table is created in the COPY's transaction, so its rows can be written frozen and its
        // pages all-visible, sparing the first readers the hint bits (a write of every page) and VACUUM the
        // freezing; no other transaction can see the table before it commits.
        String copySql = "COPY " + name + " (" + PgIdentifiers.columnList(columnNames(columns))
                + ") FROM STDIN (FORMAT binary, FREEZE)";
        return PgTx.runStaged(pool, this, "write table " + target, t -> {
            t.execute("DROP TABLE IF EXISTS " + name,
                    "CREATE TABLE " + name + " (" + String.join(", ", definitions) + ")");
            long rows = PgCopyWriter.copy(t.connection(), t.track(copySql), columns.size(), data);
            addKeys(t, name, spec);
            return rows;
        });
    }

    @Override
    public long writeSql(TableLocation target, String selectSql, TableSpec spec) {
        PgIdentifiers.checkLength("table", target.table(), this);
        String name = sqlName(target);
        return PgTx.runStaged(pool, this, "write table " + target + " from a query", t -> {
            t.execute("DROP TABLE IF EXISTS " + name);
            long rows = t.update("CREATE TABLE " + name + " AS " + selectSql);
            addKeys(t, name, spec);
            return rows;
        });
    }

    @Override
    public void copyTable(TableLocation source, TableLocation target, TableSpec spec) {
        copyTables(List.of(new dev.weir.engine.store.TableCopy(source, target, spec)));
    }

    /** All copies in one transaction: one round of commits for a whole stage's cache hits. */
    @Override
    public void copyTables(List<dev.weir.engine.store.TableCopy> copies) {
        if (copies.isEmpty()) {
            return;
        }
        copies.forEach(c -> PgIdentifiers.checkLength("table", c.target().table(), this));
        String what = copies.size() == 1 ? "copy table " + copies.get(0).source() + " to " + copies.get(0).target()
                : "carry " + copies.size() + " tables forward";
        PgTx.runStaged(pool, this, what, t -> {
            for (dev.weir.engine.store.TableCopy copy : copies) {
                String from = sqlName(copy.source());
                String to = sqlName(copy.target());
                t.execute("DROP TABLE IF EXISTS " + to,
                        "CREATE TABLE " + to + " (LIKE " + from + ")",
                        "INSERT INTO " + to + " SELECT * FROM " + from);
                addKeys(t, to, copy.spec());
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

    static void addKeys(PgTx t, String name, TableSpec spec) throws SQLException {
        if (!spec.primaryKey().isEmpty()) {
            t.execute("ALTER TABLE " + name + " ADD PRIMARY KEY (" + PgIdentifiers.columnList(spec.primaryKey()) + ")");
        }
        for (List<String> index : spec.indexes()) {
            t.execute("CREATE INDEX ON " + name + " (" + PgIdentifiers.columnList(index) + ")");
        }
    }

    @Override
    public ArrowReader readArrow(TableLocation source, BufferAllocator allocator, ReadOptions options) {
        String columns = options.columns().isEmpty() ? "*" : PgIdentifiers.columnList(options.columns());
        return PgCopyReader.open(pool, this, new PgCopyReader.TableRead(columns, source, sqlName(source),
                options.where(), readConnections, readRangePages), allocator, options.batchRows());
    }

    @Override
    public ArrowReader query(String sql, BufferAllocator allocator) {
        return PgArrowReader.open(pool, this, sql, allocator, ReadOptions.DEFAULT_BATCH_ROWS);
    }

    @Override
    public boolean exists(TableLocation location) {
        return PgTx.run(pool, this, "look up table " + location, t -> !t.query(
                PgCatalog.RELATION, rs -> true, location.schema(), location.table()).isEmpty());
    }

    @Override
    public List<String> listTables(String schema) {
        return PgTx.run(pool, this, "list the tables of schema " + schema,
                t -> t.query(PgCatalog.RELATIONS, rs -> rs.getString(1), schema));
    }

    @Override
    public long rowCount(TableLocation location) {
        return PgTx.run(pool, this, "count the rows of " + location,
                t -> t.query("SELECT count(*) FROM " + sqlName(location), rs -> rs.getLong(1)).get(0));
    }

    /**
     * PostgreSQL's {@code hashtextextended} of the grouping columns' text form: stable across sessions
     * and servers of one major version.
     */
    @Override
    public String bucketExpression(List<String> columns, int buckets) {
        if (buckets < 1 || columns.isEmpty()) {
            throw new IllegalArgumentException("a bucket expression needs columns and at least one bucket");
        }
        String row = String.join(" || chr(1) || ", columns.stream()
                .map(c -> "coalesce(" + PgIdentifiers.quote(c) + "::text, chr(2))").toList());
        // mod of a negative hash is negative; shift it into 0..buckets-1 (abs() would overflow on the minimum)
        String hash = "mod(hashtextextended(" + row + ", 0), " + buckets + ")";
        return "CAST(mod(" + hash + " + " + buckets + ", " + buckets + ") AS integer)";
    }

    /**
     * The row count and two sums of {@code hashtextextended} over the row's text form (seeds 0 and 1),
     * as numerics: sums are order-independent and, unlike {@code bit_xor}, do not cancel out for
     * duplicate rows.
     */
    @Override
    public String fingerprint(TableLocation table, String where) {
        String sql = "SELECT concat_ws(':', count(*), coalesce(sum(hashtextextended(weir_row::text, 0)), 0),"
                + " coalesce(sum(hashtextextended(weir_row::text, 1)), 0)) FROM " + sqlName(table) + " AS weir_row"
                + (where == null ? "" : " WHERE (" + where + ")");
        return PgTx.run(pool, this, "fingerprint the rows of " + table,
                t -> t.query(sql, rs -> rs.getString(1)).get(0));
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
        Map<String, TaskRecord> pending = recorded.get(record.stage());
        if (pending != null) {
            pending.put(record.task(), record);
            return;
        }
        metadata.recordTask(committedSchema(record.stage()), record);
    }

    // ---------------------------------------------------------------- other instances

    @Override
    public Map<String, String> foreignStageTables(StoreSettings other, String stage) {
        String schema = foreignSchema(other, stage);
        List<String> tables = PgTx.run(pool, this, "list stage '" + stage + "' of instance '" + other.instanceName() + "'",
                t -> schemaExists(t, schema) ? t.query(PgCatalog.RELATIONS, rs -> rs.getString(1), schema) : null);
        if (tables == null) {
            throw StoreException.of(this + ": stage '" + stage + "' of instance '" + other.instanceName()
                    + "' has never been committed (schema " + schema + " does not exist); run that instance first");
        }
        Map<String, String> names = new LinkedHashMap<>();
        for (String table : tables) {
            names.put(table, sqlName(new TableLocation(schema, table)));
        }
        return names;
    }

    @Override
    public Optional<String> foreignStageVersion(StoreSettings other, String stage) {
        return metadata.stageVersion(foreignSchema(other, stage));
    }

    /** The committed schema of {@code stage} in {@code other}, after checking this store can read it. */
    private String foreignSchema(StoreSettings other, String stage) {
        if (!KIND.equals(other.kind())) {
            throw StoreException.of(this + ": cannot read stage '" + stage + "' of " + other
                    + ": cross-instance reads need both instances in the same PostgreSQL database");
        }
        PgConnectionSettings theirs = PgConnectionSettings.from(other, env);
        if (!theirs.sameDatabase(pool.settings())) {
            throw StoreException.of(this + ": cannot read stage '" + stage + "' of " + other + ": it lives in "
                    + theirs.address() + ", this instance in " + pool.settings().address()
                    + "; instances must share a database for cross-instance reads (give them different"
                    + " schema_prefix values in one database)");
        }
        return other.schemaPrefix() + stage + other.schemaSuffix();
    }

    private static boolean schemaExists(PgTx t, String schema) throws SQLException {
        return !t.query("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ?", rs -> true, schema).isEmpty();
    }

    private static List<String> columnNames(List<ArrowCopyColumns.Column> columns) {
        return columns.stream().map(ArrowCopyColumns.Column::name).toList();
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

    /** Catalog queries. */
    private static final class PgCatalog {
        static final String FILTER = " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                + " ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind IN ('r', 'v', 'm', 'p', 'f')";
        static final String RELATION = "SELECT 1" + FILTER + " AND c.relname = ?";
        static final String RELATIONS = "SELECT c.relname" + FILTER + " ORDER BY c.relname COLLATE \"C\"";
    }
}
