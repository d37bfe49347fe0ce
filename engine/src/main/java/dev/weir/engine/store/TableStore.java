package dev.weir.engine.store;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Where one instance's tables live. The engine knows no database: everything it asks of one goes
 * through this interface.
 *
 * <p><b>Threads.</b> Every method blocks and is called from the engine's blocking dispatcher, never
 * from an actor thread. Several tasks call one store at once (the parallel engine), so
 * implementations are thread-safe.
 *
 * <p><b>Stages and transactions.</b> Each stage is one schema. A run writes a stage's tables into
 * the stage's <em>transaction schema</em> ({@link #transactionSchema}) and {@link #commitStage}
 * makes them the committed ones in one atomic step; until then readers of
 * {@link #committedSchema} see the previous committed version, and {@link #abortStage} leaves it
 * untouched. Cache entries written by {@link #recordTask} during a stage become visible to
 * {@link #findTask} only when the stage commits. A failed transaction can instead be kept
 * ({@link #keepStage}) for the next run to resume the tasks that finished in it ({@link #resumeStage});
 * one a killed run left is dropped at the next run's start ({@link #dropOrphanedTransactions}).
 *
 * <p><b>Names.</b> Stage and table names are logical; the store adds the instance's schema prefix
 * and suffix and quotes every identifier it puts into SQL.
 */
public interface TableStore extends AutoCloseable {

    /** The implementation's short name, e.g. {@code duckdb}. */
    String kind();

    /** The settings this store was opened with. */
    StoreSettings settings();

    /**
     * Creates the {@code weir_metadata} schema and tables if absent and checks their version; fails
     * with a clear message when the metadata was written by an incompatible Weir version.
     */
    void init();

    /**
     * Called before a run starts, with the connections its tasks may hold at once: a store with a
     * bounded connection pool grows the pool to serve them without deadlocking on its own connections,
     * or, when its configuration fixes the pool's size, fails with a message naming the keys to change.
     * A store without a connection pool (DuckDB shares one database) has nothing to check.
     *
     * @throws StoreException when the store cannot serve the demand
     */
    default void reserve(ConnectionDemand demand) {
    }

    // ---------------------------------------------------------------- stage transactions

    /** The schema holding the committed tables of {@code stage}, as the database names it. */
    String committedSchema(String stage);

    /** The schema that {@code stage}'s running transaction writes into. */
    String transactionSchema(String stage);

    /**
     * Prepares an empty transaction schema for {@code stage}: drops what an unfinished earlier run
     * left there and removes that run's uncommitted cache entries. The committed schema is
     * untouched.
     */
    void beginStage(String stage);

    /**
     * Makes the transaction schema the committed one, atomically, together with the cache entries
     * recorded during the stage and {@code flow} as the stage's owner ({@link #stageOwner}). After it,
     * {@link #committedSchema} shows the new tables.
     */
    void commitStage(String stage, String flow);

    /** Drops the transaction schema and its uncommitted cache entries; the committed stage stays. */
    void abortStage(String stage);

    /**
     * Ends a failed transaction of {@code stage} but keeps what its finished tasks did, for the next run to
     * resume: the transaction schema stays as it is, and the cache entries recorded in it stay uncommitted,
     * marked as an attempt of {@code flow} by run {@code runId} ({@link #keptAttempt}). The committed stage
     * stays untouched, as after {@link #abortStage}. The next {@link #beginStage} or {@link #resumeStage} of
     * the stage ends the kept attempt. With no entry recorded there is nothing to keep: the same as
     * {@link #abortStage}. Default: {@link #abortStage} (the store keeps nothing).
     */
    default void keepStage(String stage, String flow, String runId) {
        abortStage(stage);
    }

    /**
     * The attempt of {@code stage} that {@link #keepStage} kept and no begin has ended yet, if any. Default:
     * none.
     */
    default Optional<KeptAttempt> keptAttempt(String stage) {
        return Optional.empty();
    }

    /**
     * Begins {@code stage} from its kept attempt ({@link #keptAttempt}): like {@link #beginStage}, except
     * that the tables named in {@code keep} stay in the transaction schema as they are. Everything else of
     * the kept attempt (other tables, its cache entries) is dropped; the run records the entries of the
     * tasks it resumes again. Fails when a table of {@code keep} is not there. With {@code keep} empty, the
     * same as {@link #beginStage}.
     *
     * @throws UnsupportedOperationException when {@code keep} is not empty and the store keeps no attempts
     *                                       (the default)
     */
    default void resumeStage(String stage, java.util.Set<String> keep) {
        if (!keep.isEmpty()) {
            throw new UnsupportedOperationException("The " + kind() + " table store does not keep failed stage"
                    + " attempts, so it cannot resume stage '" + stage + "'");
        }
        beginStage(stage);
    }

    /**
     * Drops the transaction schemas of this store's instance that were begun and never committed, aborted or
     * kept (the run was killed), with their uncommitted cache entries. Call it only while holding the
     * instance's lock, before any stage begins: then no live run owns such a schema. Default: nothing.
     *
     * @return the stages whose transaction was dropped, each with its transaction schema as the database
     *         names it, in the order of the stages' schemas
     */
    default Map<String, String> dropOrphanedTransactions() {
        return Map.of();
    }

    /**
     * The flow whose run made the last commit of {@code stage}; empty when the stage was never committed,
     * or was committed by a Weir version that did not record flows (such a stage is adopted by the next
     * flow that commits it). Runs check it before they read or write anything, so that a stage
     * committed by one flow is never read as another flow's cache, nor overwritten by it.
     */
    Optional<String> stageOwner(String stage);

    /**
     * When the stage last committed, as the store's metadata records it, if it ever committed.
     * The default, for a store that records no commit time, is empty.
     */
    default Optional<java.time.Instant> committedAt(String stage) {
        return Optional.empty();
    }

    /**
     * Fails with a {@link StoreException} saying why when {@code stage} cannot be a stage of this store:
     * a name the database cannot hold (too long with the instance's schema prefix and suffix, say), or
     * one whose schema would be one of the store's internal schemas (another stage's transaction schema,
     * the metadata schema). Runs call it for every stage before they take a lock or write anything.
     */
    void checkStageName(String stage);

    /**
     * Fails with a {@link StoreException} saying why when {@code table} cannot be a table name in this
     * store (e.g. longer than the database keeps). Runs call it for every declared output before they
     * take a lock or write anything; writes check the names tasks choose at run time.
     */
    void checkTableName(String table);

    /** True when {@code stage} has been committed at least once in this store. */
    boolean isCommitted(String stage);

    /**
     * A value that changes whenever {@code stage} is committed with different content (e.g. the
     * committing run's id), or empty when the stage was never committed. Cache functions of tasks
     * that copy another instance's stage use it.
     */
    Optional<String> stageVersion(String stage);

    /**
     * A marker of the last commit of {@code stage}: it changes with every {@link #commitStage} that
     * commits, whatever the content, and with nothing else ({@link #abortStage} and {@link #keepStage}
     * leave it); empty when the stage was never committed. A run holding the instance lock reads it before
     * committing and again after a commit failed with a transient error: a changed marker means the
     * failed call committed all the same (its acknowledgement was lost), so it must not be retried.
     */
    Optional<String> commitMarker(String stage);

    // ---------------------------------------------------------------- tables

    /** The fully quoted, qualified SQL name of {@code location} in this store's dialect. */
    String sqlName(TableLocation location);

    /** Quotes one identifier in this store's dialect ({@code a"b} becomes {@code "a""b"}). */
    String quote(String identifier);

    /**
     * Creates {@code target} from Arrow batches, replacing any table of that name, then adds the
     * primary key and indexes of {@code spec}. Reads {@code data} to its end but does not close it.
     *
     * @return the number of rows written
     */
    long writeArrow(TableLocation target, ArrowReader data, TableSpec spec);

    /**
     * Creates {@code target} as the result of {@code selectSql} (run inside the database), replacing
     * any table of that name, then adds the primary key and indexes of {@code spec}.
     *
     * @return the number of rows written, or -1 when the database does not say
     */
    long writeSql(TableLocation target, String selectSql, TableSpec spec);

    /**
     * Copies a table inside the database (a cache hit carried forward), with its primary key and
     * indexes as given by {@code spec}. Rows never pass through the JVM.
     */
    void copyTable(TableLocation source, TableLocation target, TableSpec spec);

    /**
     * Copies several tables inside the database, all or none: a stage carries its cache hits forward
     * in one call. The default copies one by one; stores override it to use one transaction.
     */
    default void copyTables(List<TableCopy> copies) {
        copies.forEach(c -> copyTable(c.source(), c.target(), c.spec()));
    }

    // ---------------------------------------------------------------- tables filled in slices

    /**
     * Creates {@code target} with the columns of {@code columns} and no rows, replacing any table of that
     * name and forgetting its append ledger. Slices are then added with {@link #appendArrow} and the table
     * finished with {@link #sealTable}. A batched task's output is made this way.
     */
    void createTable(TableLocation target, Schema columns);

    /**
     * Appends the rows of {@code data} to {@code target} (made by {@link #createTable}) as {@code slice},
     * at most once: the rows and the slice's entry in the table's append ledger are written in one
     * transaction of their own. When the ledger already holds the slice (an earlier append of it
     * committed, say before its acknowledgement was lost), writes nothing and says so. A failed append
     * leaves no row of the slice. Appends of different slices to one table may run concurrently.
     * Columns are matched by name; values are cast to the table's column types where the database
     * can. Reads {@code data} to its end but does not close it.
     */
    AppendResult appendArrow(TableLocation target, ArrowReader data, TableSlice slice);

    /**
     * Finishes a table filled by {@link #appendArrow}: adds the primary key and indexes of {@code spec}
     * and forgets its append ledger, in one transaction.
     */
    void sealTable(TableLocation target, TableSpec spec);

    /**
     * Reads a table as a stream of Arrow batches, in bounded memory. The caller owns the returned
     * reader and closes it; its buffers come from {@code allocator}.
     */
    ArrowReader readArrow(TableLocation source, BufferAllocator allocator, ReadOptions options);

    /** Runs a query and streams its result as Arrow batches; the caller closes the reader. */
    ArrowReader query(String sql, BufferAllocator allocator);

    /** Drops a table if it exists (with its append ledger, where it has one). */
    default void dropTable(TableLocation location) {
        executeScript("DROP TABLE IF EXISTS " + sqlName(location));
    }

    /**
     * An SQL expression of this dialect that puts each row in one of {@code buckets} buckets
     * ({@code 0 .. buckets-1}) by a stable hash of {@code columns}: equal values always land in the same
     * bucket, in every query of this store. Batched tasks split their inputs with it.
     */
    String bucketExpression(List<String> columns, int buckets);

    /**
     * {@link #bucketExpression(List, int)} knowing the columns' Arrow types, so a store can hash them
     * without converting them. The same columns and types always give the same expression. The engine
     * asks only for columns that are not all signed integers: those it buckets itself with
     * {@link dev.weir.engine.batch.IntegerBuckets}, portable arithmetic that it also evaluates in memory
     * for inlined inputs. Default: the untyped expression.
     */
    default String bucketExpression(List<String> columns, List<org.apache.arrow.vector.types.pojo.ArrowType> types,
                                    int buckets) {
        return bucketExpression(columns, buckets);
    }

    /**
     * A fingerprint of the rows of {@code table} matching {@code where} (null: all rows): equal for
     * equal multisets of rows in any order, different (with overwhelming probability) when a row is
     * added, removed or changed, duplicates included. Computed inside the database in one aggregate
     * query; rows never pass through the JVM. It covers the values, not the column names and types.
     * Chunk caching keys each chunk by its inputs' fingerprints.
     *
     * @throws UnsupportedOperationException when the store cannot fingerprint rows (the default)
     */
    default String fingerprint(TableLocation table, String where) {
        throw new UnsupportedOperationException("The " + kind() + " table store does not support fingerprinting"
                + " rows, which caching chunks of batched tasks needs");
    }

    /** True when the table (or view) exists. */
    boolean exists(TableLocation location);

    /** The tables (and views) in {@code schema}, sorted by name. */
    List<String> listTables(String schema);

    /** The number of rows of a table. */
    long rowCount(TableLocation location);

    /**
     * Runs an SQL script of one or more statements (a raw SQL task), in one transaction where the
     * database allows DDL in transactions.
     */
    void executeScript(String script);

    // ---------------------------------------------------------------- cache metadata

    /** The committed cache entry of {@code task} in {@code stage} under {@code cacheKey}, if any. */
    Optional<TaskRecord> findTask(String stage, String task, String cacheKey);

    /**
     * Every committed cache entry of {@code stage}, in one round trip; the planner looks up a whole
     * stage at once instead of one task at a time.
     */
    List<TaskRecord> committedTasks(String stage);

    /** Records a cache entry in the running transaction of {@code record.stage()}. */
    void recordTask(TaskRecord record);

    // ---------------------------------------------------------------- what an instance holds (status, clear)

    /**
     * The stages of this store's instance that the store holds anything of: committed, begun and not ended,
     * or with cache entries; sorted by name. Read from the metadata, so it needs no flow: {@code weir clear}
     * finds an instance's stages with it. Stages of other instances sharing the database are never listed.
     * Default: none (a store that cannot list its stages cannot clear them).
     */
    default List<String> stages() {
        return List.of();
    }

    /** What the store holds of {@code stage} of this instance: what {@link #dropStage} would drop. */
    default StoredStage storedStage(String stage) {
        return new StoredStage(stage, Map.of(), 0, false, false, 0);
    }

    /**
     * Drops everything the store holds of {@code stage} of this instance, in one transaction where the database
     * allows: its committed and transaction schemas with their tables, its cache entries, the record of its
     * commit (owner, version, time), of its begun or kept transaction, and its append ledger. Afterwards the
     * stage is as if never run: {@link #isCommitted} is false and every task of it misses the cache. Other
     * instances' data is untouched. Call it only while holding the instance's lock.
     *
     * @throws UnsupportedOperationException when the store cannot drop stages (the default)
     */
    default void dropStage(String stage) {
        throw new UnsupportedOperationException("The " + kind() + " table store does not support dropping stages");
    }

    /**
     * The bytes a table takes in the database, if the database tells: its data, indexes and (PostgreSQL)
     * TOAST. {@code location} may name a committed table. Default: unknown.
     */
    default java.util.OptionalLong tableBytes(TableLocation location) {
        return java.util.OptionalLong.empty();
    }

    /**
     * Records a finished run of this instance, forgetting the oldest beyond {@link RunRecord#KEPT_PER_INSTANCE}.
     * The engine calls it once per run, at its end, on the blocking dispatcher; a failure is logged and never
     * fails the run. Default: nothing is recorded.
     */
    default void recordRun(RunRecord run) {
    }

    /** The last {@code limit} runs recorded for this instance, newest first. Default: none. */
    default List<RunRecord> lastRuns(int limit) {
        return List.of();
    }

    /**
     * True when {@code file} is a local file this store uses: a database file, its write-ahead log, lock files
     * (which are never deleted, so that every process locks the same file). Clearing the instance's work
     * directory leaves such files. Default: none.
     */
    default boolean usesLocalFile(java.nio.file.Path file) {
        return false;
    }

    /** Forgets every run recorded for this instance ({@code weir clear}). Default: nothing to forget. */
    default void forgetRuns() {
    }

    // ---------------------------------------------------------------- other instances

    /**
     * The committed tables of a stage of another instance, by table name, each as a fully quoted
     * SQL name usable in this store's queries (attaching the other instance's database read-only
     * where that is needed). Fails with a clear message when the two instances cannot see each
     * other (e.g. different servers).
     */
    Map<String, String> foreignStageTables(StoreSettings other, String stage);

    /** {@link #stageVersion} of a stage of another instance, read through this store. */
    Optional<String> foreignStageVersion(StoreSettings other, String stage);

    /** The lock manager serializing runs of instances in this store. */
    LockManager locks();

    /** Extra information for the run report, e.g. the database file or server (no secrets). */
    default Map<String, String> describe() {
        return Map.of("kind", kind(), "connection", settings().connectionName());
    }

    /** Releases connections and files. */
    @Override
    void close();
}
