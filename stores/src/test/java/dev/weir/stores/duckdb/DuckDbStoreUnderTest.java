package dev.weir.stores.duckdb;

import com.typesafe.config.ConfigFactory;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableStore;
import dev.weir.stores.ArrowFixtures;
import dev.weir.stores.conformance.StoreUnderTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;

/** The DuckDB store for the conformance suite: a database file named after the instance in the test's work directory. */
final class DuckDbStoreUnderTest implements StoreUnderTest {

    static final DuckDbStoreUnderTest DUCKDB = new DuckDbStoreUnderTest();

    private DuckDbStoreUnderTest() {
    }

    static StoreSettings settings(String instanceId, Path workDir, Map<String, Object> args) {
        return new StoreSettings(instanceId, instanceId, "duckdb", "duckdb", ConfigFactory.parseMap(args), workDir,
                "test.conf: instances." + instanceId + ".table_store");
    }

    @Override
    public TableStore open(String instanceId, Path workDir) {
        return new DuckDbStoreFactory().open(settings(instanceId, workDir, Map.of("threads", 2)));
    }

    @Override
    public int indexCount(TableStore store, TableLocation location) {
        String sql = "SELECT CAST(count(*) AS INTEGER) FROM duckdb_indexes() WHERE schema_name = '"
                + location.schema().replace("'", "''") + "' AND table_name = '"
                + location.table().replace("'", "''") + "'";
        try (BufferAllocator allocator = new RootAllocator(); ArrowReader reader = store.query(sql, allocator)) {
            return ((Number) ArrowFixtures.rows(reader).get(0).get(0)).intValue();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
