package dev.weir.stores.conformance;

import static dev.weir.stores.ArrowFixtures.idNames;
import static dev.weir.stores.ArrowFixtures.rows;

import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSpec;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TaskRecord;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store every conformance class tests: a fresh, initialized store of instance {@code main} per test,
 * in a work directory of its own, and the helpers the classes share. The conformance classes (one per
 * theme: {@link TableReadsConformanceTest}, {@link TableWritesConformanceTest},
 * {@link AppendsConformanceTest}, {@link StageTransactionsConformanceTest},
 * {@link StageMetadataConformanceTest}, {@link LocksConformanceTest}, {@link NamesConformanceTest}) say
 * together what every table store must do, as the engine relies on it. A store runs each of them through
 * a subclass that returns its {@link StoreUnderTest}.
 *
 * <p>Every test allocates from one {@link RootAllocator} closed after it: a leaked Arrow buffer
 * fails the test.
 */
public abstract class TableStoreFixture {

    protected static final String STAGE = "raw";

    @TempDir
    protected Path workDir;

    protected BufferAllocator allocator;
    protected TableStore store;

    /** The kind of store under test. */
    protected abstract StoreUnderTest storeUnderTest();

    /** Opens (without init) a store of instance {@code instanceId} keeping local files in {@code workDir}. */
    protected TableStore openStore(String instanceId, Path workDir) {
        return storeUnderTest().open(instanceId, workDir);
    }

    @BeforeEach
    void openAllocatorAndStore() {
        allocator = new RootAllocator();
        store = openStore("main", workDir);
        store.init();
    }

    @AfterEach
    void closeStoreAndCheckLeaks() {
        if (store != null) {
            store.close();
        }
        allocator.close();
    }

    protected TableLocation inTransaction(String table) {
        return new TableLocation(store.transactionSchema(STAGE), table);
    }

    protected TableLocation committed(String table) {
        return new TableLocation(store.committedSchema(STAGE), table);
    }

    protected long write(TableLocation target, long firstId, int batches, int rows, TableSpec spec) {
        try (ArrowReader data = idNames(allocator, firstId, batches, rows)) {
            return store.writeArrow(target, data, spec);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    protected List<List<Object>> read(TableLocation source, ReadOptions options) {
        try (ArrowReader reader = store.readArrow(source, allocator, options)) {
            return rows(reader);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    protected List<List<Object>> query(String sql) {
        try (ArrowReader reader = store.query(sql, allocator)) {
            return rows(reader);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The number of indexes (primary key excluded) on a table ({@link StoreUnderTest#indexCount}). */
    protected int indexCount(TableStore store, TableLocation location) {
        return storeUnderTest().indexCount(store, location);
    }

    protected static TaskRecord record(String task, String key, String runId) {
        return new TaskRecord(STAGE, task, key, "{\"tables\":[\"" + task + "\"]}", runId, Instant.parse("2025-01-02T03:04:05.123456Z"));
    }

    /** Opens, initializes and uses another instance's store, closes it, and returns its settings. */
    protected StoreSettings withOtherInstance(String instanceId, Consumer<TableStore> use) {
        try (TableStore other = openStore(instanceId, workDir)) {
            other.init();
            use.accept(other);
            return other.settings();
        }
    }
}
