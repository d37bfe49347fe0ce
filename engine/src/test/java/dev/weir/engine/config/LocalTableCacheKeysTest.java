package dev.weir.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.config.InstanceConfig.LocalTableCache;
import org.junit.jupiter.api.Test;

/** {@code table_store.local_table_cache}: off by default, pipedag's defaults when present, its keys checked. */
class LocalTableCacheKeysTest {

    @Test
    void withoutTheSectionThereIsNoLocalTableCache() {
        InstanceConfig mini = Configs.yaml(Configs.duckdb("""
                instances:
                  mini:
                    table_store: {table_store_connection: duckdb}
                """)).instance("mini");
        assertFalse(mini.localTableCache().enabled());
    }

    @Test
    void theSectionAloneStoresAndReadsInputsUnderTheWorkDirectoryLikePipedag() {
        InstanceConfig mini = Configs.yaml(Configs.duckdb("""
                instances:
                  mini:
                    table_store:
                      table_store_connection: duckdb
                      local_table_cache: {}
                """)).instance("mini");
        LocalTableCache cache = mini.localTableCache();
        assertTrue(cache.storeInput());
        assertFalse(cache.storeOutput());
        assertTrue(cache.useStoredInputAsCache());
        assertEquals(mini.workDir().resolve("local_table_cache"), cache.basePath());
    }

    @Test
    void pipedagsKeysAreReadAndTheBasePathGetsTheInstanceId() {
        WeirConfig config = Configs.yaml(Configs.duckdb("""
                instances:
                  __any__:
                    table_store:
                      table_store_connection: duckdb
                      local_table_cache:
                        store_input: false
                        store_output: true
                        use_stored_input_as_cache: false
                        class: "pydiverse.pipedag.backend.table_cache.ParquetTableCache"
                        args: {base_path: "/tmp/weir_table_cache"}
                  mini: {}
                  full:
                    table_store:
                      local_table_cache: {args: {base_path: "/tmp/cache_{instance_id}"}}
                """));
        LocalTableCache mini = config.instance("mini").localTableCache();
        assertFalse(mini.storeInput());
        assertTrue(mini.storeOutput());
        assertFalse(mini.useStoredInputAsCache());
        assertEquals(java.nio.file.Path.of("/tmp/weir_table_cache/mini"), mini.basePath(),
                "instances never share a cache");
        assertEquals(java.nio.file.Path.of("/tmp/cache_full"), config.instance("full").localTableCache().basePath());
    }

    @Test
    void anUnknownKeyIsRefusedAndAnotherCacheClassWarnedOfNamingTheKey() {
        ConfigError typo = assertThrows(ConfigError.class, () -> Configs.yaml(Configs.duckdb("""
                instances:
                  mini:
                    table_store:
                      table_store_connection: duckdb
                      local_table_cache: {store_inputs: true}
                """)));
        assertTrue(typo.getMessage().contains("local_table_cache.store_inputs"), typo.getMessage());
        assertTrue(typo.getMessage().contains("store_input"), typo.getMessage());

        // like every other pipedag class name: a warning, and Weir's Parquet files all the same
        WeirConfig other = Configs.yaml(Configs.duckdb("""
                instances:
                  mini:
                    table_store:
                      table_store_connection: duckdb
                      local_table_cache: {class: "my.own.TableCache"}
                """));
        assertTrue(other.warnings().stream().anyMatch(w -> w.contains("local_table_cache.class")
                && w.contains("my.own.TableCache")), other.warnings().toString());
        assertTrue(other.instance("mini").localTableCache().enabled());
    }
}
