package dev.weir.stores.duckdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSpec;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;
import dev.weir.stores.ArrowFixtures;
import dev.weir.stores.conformance.StoreUnderTest;
import dev.weir.stores.conformance.TableStoreFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * What is particular to the DuckDB store: its settings, its database file, its view-switching commits and
 * sharing one file between instances. The conformance suite runs on DuckDB in the
 * {@code DuckDb*ConformanceTest} classes.
 */
class DuckDbStoreTest extends TableStoreFixture {

    private static StoreSettings settings(String instanceId, Path workDir, Map<String, Object> args) {
        return DuckDbStoreUnderTest.settings(instanceId, workDir, args);
    }

    @Override
    protected StoreUnderTest storeUnderTest() {
        return DuckDbStoreUnderTest.DUCKDB;
    }

    @Test
    void isFoundByServiceLoaderUnderItsKind() {
        List<String> kinds = ServiceLoader.load(TableStoreFactory.class).stream()
                .map(provider -> provider.get().kind()).toList();
        assertTrue(kinds.contains("duckdb"), kinds.toString());
    }

    @Test
    void theDatabaseFileDefaultsToTheInstanceIdInTheWorkDir() {
        assertTrue(Files.exists(workDir.resolve("main.duckdb")));
        assertEquals(workDir.resolve("main.duckdb").toString(), store.describe().get("database"));
    }

    @Test
    void aPipedagStyleUrlNamesTheFile() {
        Path file = workDir.resolve("sub/by-url.duckdb");
        try (TableStore byUrl = new DuckDbStoreFactory().open(settings("u", workDir,
                Map.of("url", "duckdb:///" + file)))) {
            byUrl.init();
        }
        assertTrue(Files.exists(file));
    }

    @Test
    void badSettingsFailNamingTheKeyAndTheOrigin() {
        StoreException threads = assertThrows(StoreException.class, () -> new DuckDbStoreFactory()
                .open(settings("x", workDir, Map.of("threads", 0))));
        assertTrue(threads.getMessage().contains("'threads'"), threads.getMessage());
        assertTrue(threads.getMessage().contains("test.conf: instances.x.table_store"), threads.getMessage());
        StoreException memory = assertThrows(StoreException.class, () -> new DuckDbStoreFactory()
                .open(settings("x", workDir, Map.of("memory_limit", "lots"))));
        assertTrue(memory.getMessage().contains("'memory_limit'"), memory.getMessage());
        StoreException both = assertThrows(StoreException.class, () -> new DuckDbStoreFactory()
                .open(settings("x", workDir, Map.of("path", "a.duckdb", "url", "duckdb:///b.duckdb"))));
        assertTrue(both.getMessage().contains("not both"), both.getMessage());
        StoreException url = assertThrows(StoreException.class, () -> new DuckDbStoreFactory()
                .open(settings("x", workDir, Map.of("url", "postgresql://host/db"))));
        assertTrue(url.getMessage().contains("'url'"), url.getMessage());
    }

    @Test
    void anInMemoryDatabaseWorks() {
        try (TableStore memory = new DuckDbStoreFactory().open(settings("m", workDir, Map.of("path", ":memory:")))) {
            memory.init();
            memory.beginStage("s");
            memory.writeSql(new TableLocation(memory.transactionSchema("s"), "t"), "SELECT 1 AS x", TableSpec.NONE);
            memory.commitStage("s", "test_flow");
            assertEquals(1, memory.rowCount(new TableLocation(memory.committedSchema("s"), "t")));
        }
    }

    @Test
    void schemaPrefixAndSuffixNameTheStageSchemas() {
        try (TableStore prefixed = new DuckDbStoreFactory().open(settings("p", workDir,
                Map.of("schema_prefix", "pre_", "schema_suffix", "_suf")))) {
            prefixed.init();
            assertEquals("pre_raw_suf", prefixed.committedSchema("raw"));
            assertEquals("pre_raw_suf__odd", prefixed.transactionSchema("raw"));
        }
    }

    @Test
    void commitSwitchesViewsBetweenOddAndEvenSides() {
        store.beginStage(STAGE);
        assertEquals("raw__odd", store.transactionSchema(STAGE));
        store.commitStage(STAGE, "test_flow");
        assertEquals("raw__even", store.transactionSchema(STAGE));
        store.beginStage(STAGE);
        store.commitStage(STAGE, "test_flow");
        assertEquals("raw__odd", store.transactionSchema(STAGE));
    }

    @Test
    void readersSeeOneCommitOrTheNextNeverAMix() throws Exception {
        AtomicBoolean done = new AtomicBoolean();
        String a = store.sqlName(committed("a"));
        String b = store.sqlName(committed("b"));
        commitPair(1);
        CompletableFuture<Integer> reader = CompletableFuture.supplyAsync(() -> {
            int reads = 0;
            while (!done.get()) {
                List<Object> counts = query("SELECT (SELECT count(*) FROM " + a + "), (SELECT count(*) FROM " + b + ")")
                        .get(0);
                assertEquals(counts.get(0), counts.get(1), "both tables come from the same commit");
                reads++;
            }
            return reads;
        });
        for (int version = 2; version <= 12; version++) {
            commitPair(version);
        }
        done.set(true);
        assertTrue(reader.get(60, TimeUnit.SECONDS) > 0);
    }

    private void commitPair(int rows) {
        store.beginStage(STAGE);
        write(inTransaction("a"), 0, 1, rows, TableSpec.NONE);
        write(inTransaction("b"), 0, 1, rows, TableSpec.NONE);
        store.commitStage(STAGE, "test_flow");
    }

    @Test
    void twoStoresOnOneFileInOneJvmShareTheDatabase() {
        try (TableStore second = openStore("main", workDir)) {
            second.init();
            second.beginStage("shared");
            second.writeSql(new TableLocation(second.transactionSchema("shared"), "t"), "SELECT 42 AS x", TableSpec.NONE);
            second.commitStage("shared", "test_flow");
            assertEquals(1, store.rowCount(new TableLocation(store.committedSchema("shared"), "t")));
        }
        assertEquals(1, store.rowCount(new TableLocation(store.committedSchema("shared"), "t")));
    }

    @Test
    void aSecondStoreOnOneFileWithOtherDuckDbSettingsFailsClearly() {
        StoreException error = assertThrows(StoreException.class, () -> new DuckDbStoreFactory().open(
                settings("main", workDir, Map.of("threads", 1))));
        assertTrue(error.getMessage().contains("main.duckdb"), error.getMessage());
        assertTrue(error.getMessage().contains("same settings"), error.getMessage());
    }

    @Test
    void anotherInstanceWithoutADatabaseFileFailsClearly() {
        StoreException error = assertThrows(StoreException.class,
                () -> store.foreignStageTables(settings("never", workDir, Map.of()), STAGE));
        assertTrue(error.getMessage().contains("never.duckdb"), error.getMessage());
        assertTrue(error.getMessage().contains("does not exist"), error.getMessage());
    }

    @Test
    void anotherInstanceOnPostgresIsRefusedSayingSoNotReadAsADuckDbUrl() {
        StoreSettings other = new StoreSettings("full", "full", "postgres", "postgres",
                com.typesafe.config.ConfigFactory.parseMap(Map.of("url", "postgresql://db.example.com:5432/pipelines")),
                workDir, "pipedag.yaml: instances.full.table_store");
        for (org.junit.jupiter.api.function.Executable read : List.<org.junit.jupiter.api.function.Executable>of(
                () -> store.foreignStageTables(other, STAGE), () -> store.foreignStageVersion(other, STAGE))) {
            StoreException error = assertThrows(StoreException.class, read);
            assertTrue(error.getMessage().contains("stage '" + STAGE + "' of postgres store 'postgres' of instance 'full'"),
                    error.getMessage());
            assertTrue(error.getMessage().contains("both instances on DuckDB") && !error.getMessage().contains("url"),
                    error.getMessage());
        }
    }

    @Test
    void aStageTheOtherInstanceNeverCommittedFailsClearly() {
        StoreSettings other = withOtherInstance("full", o -> o.beginStage(STAGE));
        StoreException error = assertThrows(StoreException.class, () -> store.foreignStageTables(other, STAGE));
        assertTrue(error.getMessage().contains("never committed"), error.getMessage());
        assertEquals(java.util.Optional.empty(), store.foreignStageVersion(other, STAGE));
    }

    @Test
    void anotherInstanceOpenInThisJvmCannotBeAttached() {
        try (TableStore other = openStore("full", workDir)) {
            other.init();
            StoreException error = assertThrows(StoreException.class,
                    () -> store.foreignStageTables(other.settings(), STAGE));
            assertTrue(error.getMessage().contains("Close that store first"), error.getMessage());
        }
    }

    @Test
    void anInstanceSharingTheFileThroughAPrefixIsReadInPlace() {
        Path file = workDir.resolve("main.duckdb");
        try (TableStore mini = new DuckDbStoreFactory().open(settings("mini", workDir,
                Map.of("path", file.toString(), "schema_prefix", "mini_", "threads", 2)))) {
            mini.init();
            store.beginStage(STAGE);
            write(inTransaction("orders"), 1, 1, 3, TableSpec.NONE);
            store.commitStage(STAGE, "test_flow");
            Map<String, String> tables = mini.foreignStageTables(store.settings(), STAGE);
            assertEquals(List.of(List.of(3L)), query("SELECT count(*) FROM " + tables.get("orders")));
        }
    }

    @Test
    void aTimestampWithAnyZoneComesBackAsTheSameInstantInTheSessionZone() throws Exception {
        Schema berlin = new Schema(List.of(Field.nullable("t",
                new ArrowType.Timestamp(org.apache.arrow.vector.types.TimeUnit.MICROSECOND, "Europe/Berlin"))));
        store.beginStage(STAGE);
        try (ArrowReader data = ArrowFixtures.stream(allocator, berlin, 1, (root, batch) -> {
            root.allocateNew();
            ((org.apache.arrow.vector.TimeStampMicroTZVector) root.getVector("t")).setSafe(0, 1_000_000L);
            root.setRowCount(1);
        })) {
            store.writeArrow(inTransaction("zoned"), data, TableSpec.NONE);
        }
        try (ArrowReader reader = store.readArrow(inTransaction("zoned"), allocator,
                dev.weir.engine.store.ReadOptions.ALL)) {
            assertEquals(new ArrowType.Timestamp(org.apache.arrow.vector.types.TimeUnit.MICROSECOND, "Etc/UTC"),
                    reader.getVectorSchemaRoot().getSchema().getFields().get(0).getType());
            assertEquals(List.of(List.of(1_000_000L)), ArrowFixtures.rows(reader));
        }
    }
}
