package dev.weir.stores.duckdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DuckDB connection configured by a url, as pipedag's configurations write it, opens the file the url names:
 * through the configuration (which adds the url's file as {@code path}) as well as given to the store directly.
 */
class DuckDbUrlTest {

    @TempDir
    Path dir;

    private StoreSettings mini(String args) throws IOException {
        Path file = dir.resolve("weir.yaml");
        Files.writeString(file, """
                instances:
                  mini:
                    table_store:
                      table_store_connection: duckdb
                table_store_connections:
                  duckdb:
                    args: %s
                """.formatted(args));
        return WeirConfig.load(file).instance("mini").tableStore();
    }

    private static Path opened(StoreSettings settings) {
        try (TableStore store = new DuckDbStoreFactory().open(settings)) {
            store.init();
            return Path.of(store.describe().get("database"));
        }
    }

    @Test
    void aPipedagUrlRelativeToTheWorkDirectory() throws IOException {
        StoreSettings settings = mini("{url: \"duckdb:///by-url.duckdb\"}");
        assertEquals("duckdb", settings.kind());
        Path database = opened(settings);
        assertEquals(settings.workDir().resolve("by-url.duckdb"), database);
        assertTrue(Files.exists(database));
    }

    @Test
    void aPipedagUrlWithAnAbsolutePath() throws IOException {
        Path file = dir.resolve("abs/pipedag.duckdb");
        Path database = opened(mini("{url: \"duckdb:///" + file + "\"}"));
        assertEquals(file, database);
        assertTrue(Files.exists(file));
    }

    @Test
    void aJdbcUrl() throws IOException {
        Path file = dir.resolve("jdbc.duckdb");
        assertEquals(file, opened(mini("{url: \"jdbc:duckdb:" + file + "\"}")));
    }

    @Test
    void aUrlAndAPathNamingTheSameFile() throws IOException {
        Path file = dir.resolve("same.duckdb");
        assertEquals(file, opened(mini("{kind: duckdb, url: \"duckdb:///" + file + "\", path: \"" + file + "\"}")));
    }

    @Test
    void aUrlAndAPathNamingDifferentFilesAreRefusedNamingBoth() throws IOException {
        StoreSettings settings = mini("{kind: duckdb, url: \"duckdb:///b.duckdb\", path: a.duckdb}");
        StoreException e = assertThrows(StoreException.class, () -> opened(settings));
        assertTrue(e.getMessage().contains("path a.duckdb and url duckdb:///b.duckdb name different database files"),
                e.getMessage());
        assertTrue(e.getMessage().contains("weir.yaml"), e.getMessage());
    }
}
