package dev.weir.testkit;

import com.typesafe.config.ConfigValueFactory;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.AppendResult;
import dev.weir.engine.store.LockManager;
import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableCopy;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSlice;
import dev.weir.engine.store.TableSpec;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;
import dev.weir.engine.store.TaskRecord;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A table store for tests that plays a slow store: every append of a batched task's chunk waits
 * for a permit of the test's {@link Gate}. Everything else goes straight to the store it wraps
 * (DuckDB or PostgreSQL, whichever the instance had).
 */
final class GatedStore implements TableStore {

    private static final String KIND = "gated";

    /**
     * The engine opens stores through {@link ServiceLoader}, so a store finds its test's gate here by
     * the id in its settings; {@link Gate#close()} removes it.
     */
    private static final Map<String, Gate> GATES = new ConcurrentHashMap<>();

    /**
     * The permits of one test, and what it observes: chunk results computed, being uploaded, uploaded.
     * Thread-safe: chunks compute and upload on the engine's blocking dispatcher.
     */
    static final class Gate implements AutoCloseable {
        private final String id = UUID.randomUUID().toString();
        private final Semaphore permits = new Semaphore(0);
        private int computed;
        private int uploading;
        private int uploaded;
        private int mostHeld;

        /** {@code instance} on a gated store wrapping its own. */
        InstanceConfig gate(InstanceConfig instance) {
            GATES.put(id, this);
            StoreSettings own = instance.tableStore();
            return instance.withTableStoreSettings(new StoreSettings(own.instanceName(), own.instanceId(),
                    own.connectionName(), KIND, own.args().withValue("gated_kind", ConfigValueFactory.fromAnyRef(
                            own.kind())).withValue("gate", ConfigValueFactory.fromAnyRef(id)), own.workDir(),
                    own.origin()));
        }

        /** Lets {@code n} more chunk uploads through. */
        void release(int n) {
            permits.release(n);
        }

        /** A chunk's task function returned: its result is held in memory until its upload has ended. */
        synchronized void computed() {
            computed++;
            mostHeld = Math.max(mostHeld, computed - uploaded);
        }

        private synchronized void uploadStarts() {
            uploading++;
        }

        private synchronized void uploadEnds() {
            uploading--;
            uploaded++;
        }

        synchronized int computedSoFar() {
            return computed;
        }

        /** Chunk uploads inside the store (waiting at the gate or writing). */
        synchronized int uploading() {
            return uploading;
        }

        /** Computed results whose upload has not started: waiting in memory for an upload slot. */
        synchronized int waiting() {
            return computed - uploaded - uploading;
        }

        /** The most computed results ever held in memory at once, waiting or being uploaded. */
        synchronized int mostHeld() {
            return mostHeld;
        }

        @Override
        public void close() {
            GATES.remove(id);
            permits.release(Integer.MAX_VALUE / 2); // a failed test must not leave a run blocked
        }
    }

    /** Found by {@link ServiceLoader} under kind {@code gated}. */
    public static final class Factory implements TableStoreFactory {
        @Override
        public String kind() {
            return KIND;
        }

        @Override
        public TableStore open(StoreSettings settings) {
            String kind = settings.args().getString("gated_kind");
            Gate gate = GATES.get(settings.args().getString("gate"));
            if (gate == null) {
                throw new IllegalStateException("no gate " + settings.args().getString("gate") + " is open");
            }
            StoreSettings wrapped = new StoreSettings(settings.instanceName(), settings.instanceId(),
                    settings.connectionName(), kind, settings.args(), settings.workDir(), settings.origin());
            for (TableStoreFactory factory : ServiceLoader.load(TableStoreFactory.class, Factory.class.getClassLoader())) {
                if (factory.kind().equals(kind)) {
                    return new GatedStore(factory.open(wrapped), settings, gate);
                }
            }
            throw new IllegalStateException("no table store of kind '" + kind + "' to gate");
        }
    }

    private final TableStore delegate;
    private final StoreSettings settings;
    private final Gate gate;

    private GatedStore(TableStore delegate, StoreSettings settings, Gate gate) {
        this.delegate = delegate;
        this.settings = settings;
        this.gate = gate;
    }

    @Override
    public long writeArrow(TableLocation target, ArrowReader data, TableSpec spec) {
        return delegate.writeArrow(target, data, spec);
    }

    /** A batched task's chunk upload: waits for a permit. */
    @Override
    public AppendResult appendArrow(TableLocation target, ArrowReader data, TableSlice slice) {
        gate.uploadStarts();
        try {
            gate.permits.acquireUninterruptibly();
            return delegate.appendArrow(target, data, slice);
        } finally {
            gate.uploadEnds();
        }
    }

    @Override
    public void createTable(TableLocation target, Schema columns) {
        delegate.createTable(target, columns);
    }

    @Override
    public void sealTable(TableLocation target, TableSpec spec) {
        delegate.sealTable(target, spec);
    }

    @Override
    public String kind() {
        return delegate.kind();
    }

    @Override
    public StoreSettings settings() {
        return settings;
    }

    @Override
    public void init() {
        delegate.init();
    }

    @Override
    public String committedSchema(String stage) {
        return delegate.committedSchema(stage);
    }

    @Override
    public String transactionSchema(String stage) {
        return delegate.transactionSchema(stage);
    }

    @Override
    public void beginStage(String stage) {
        delegate.beginStage(stage);
    }

    @Override
    public void commitStage(String stage) {
        delegate.commitStage(stage);
    }

    @Override
    public void abortStage(String stage) {
        delegate.abortStage(stage);
    }

    @Override
    public boolean isCommitted(String stage) {
        return delegate.isCommitted(stage);
    }

    @Override
    public Optional<String> stageVersion(String stage) {
        return delegate.stageVersion(stage);
    }

    @Override
    public String sqlName(TableLocation location) {
        return delegate.sqlName(location);
    }

    @Override
    public String quote(String identifier) {
        return delegate.quote(identifier);
    }

    @Override
    public long writeSql(TableLocation target, String selectSql, TableSpec spec) {
        return delegate.writeSql(target, selectSql, spec);
    }

    @Override
    public void copyTable(TableLocation source, TableLocation target, TableSpec spec) {
        delegate.copyTable(source, target, spec);
    }

    @Override
    public void copyTables(List<TableCopy> copies) {
        delegate.copyTables(copies);
    }

    @Override
    public ArrowReader readArrow(TableLocation source, BufferAllocator allocator, ReadOptions options) {
        return delegate.readArrow(source, allocator, options);
    }

    @Override
    public ArrowReader query(String sql, BufferAllocator allocator) {
        return delegate.query(sql, allocator);
    }

    @Override
    public void dropTable(TableLocation location) {
        delegate.dropTable(location);
    }

    @Override
    public String bucketExpression(List<String> columns, int buckets) {
        return delegate.bucketExpression(columns, buckets);
    }

    @Override
    public String bucketExpression(List<String> columns, List<ArrowType> types, int buckets) {
        return delegate.bucketExpression(columns, types, buckets);
    }

    @Override
    public String fingerprint(TableLocation table, String where) {
        return delegate.fingerprint(table, where);
    }

    @Override
    public boolean exists(TableLocation location) {
        return delegate.exists(location);
    }

    @Override
    public List<String> listTables(String schema) {
        return delegate.listTables(schema);
    }

    @Override
    public long rowCount(TableLocation location) {
        return delegate.rowCount(location);
    }

    @Override
    public void executeScript(String script) {
        delegate.executeScript(script);
    }

    @Override
    public Optional<TaskRecord> findTask(String stage, String task, String cacheKey) {
        return delegate.findTask(stage, task, cacheKey);
    }

    @Override
    public List<TaskRecord> committedTasks(String stage) {
        return delegate.committedTasks(stage);
    }

    @Override
    public void recordTask(TaskRecord record) {
        delegate.recordTask(record);
    }

    @Override
    public Map<String, String> foreignStageTables(StoreSettings other, String stage) {
        return delegate.foreignStageTables(other, stage);
    }

    @Override
    public Optional<String> foreignStageVersion(StoreSettings other, String stage) {
        return delegate.foreignStageVersion(other, stage);
    }

    @Override
    public LockManager locks() {
        return delegate.locks();
    }

    @Override
    public Map<String, String> describe() {
        return delegate.describe();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
