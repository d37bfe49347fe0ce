package dev.weir.stores.duckdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableStore;
import java.nio.file.Path;
import java.util.Map;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A query's rows stream out of DuckDB as they are read, instead of the whole result being materialized in
 * native memory before the first row (the JDBC driver's default), so that a scan's memory does not grow
 * with the table: the first batch of a result arrives although a row far after it fails.
 */
class DuckDbStreamingReadTest {

    @TempDir
    Path dir;

    @Test
    void theFirstBatchArrivesBeforeTheRestOfTheResultIsComputed() throws Exception {
        StoreSettings settings = new StoreSettings("mini", "mini", "duckdb", "duckdb",
                ConfigFactory.parseMap(Map.of("path", dir.resolve("s.duckdb").toString())), dir, "test instance 'mini'");
        try (RootAllocator allocator = new RootAllocator();
             TableStore store = new DuckDbStoreFactory().open(settings)) {
            store.init();
            // materialized, the query would fail on row 5,000,000 before handing over any row
            try (ArrowReader rows = store.query("SELECT CASE WHEN range < 5000000 THEN range"
                    + " ELSE error('a row far after the first batch') END AS i FROM range(10000000)", allocator)) {
                assertTrue(rows.loadNextBatch());
                assertEquals(0L, ((BigIntVector) rows.getVectorSchemaRoot().getVector(0)).get(0));
            }
        }
    }
}
