package dev.weir.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Configurations Weir refuses, and what the user is told. */
class ConfigErrorsTest {

    private static final String VALID = Configs.duckdb("""
            technical_setups:
              default:
                table_store: {table_store_connection: duckdb}
            instances:
              full: {instance_id: full}
              mini: {instance_id: mini}
            """);

    @Test
    void unknownInstanceListsTheKnownOnes() {
        ConfigError e = assertThrows(ConfigError.class, () -> Configs.yaml(VALID).instance("maxi"));
        assertEquals("weir.yaml: instances: 'maxi' - expected one of the configured instances [full, mini]",
                e.getMessage());
    }

    @Test
    void anyIsNotAnInstance() {
        String text = VALID + "  __any__: {fail_fast: true}\n";
        WeirConfig config = Configs.yaml(text);
        assertEquals(java.util.List.of("full", "mini"), config.instanceNames());
        assertThrows(ConfigError.class, () -> config.instance("__any__"));
    }

    @Test
    void typoInKeySuggestsTheClosestKnownKey() {
        ConfigError e = assertThrows(ConfigError.class, () -> Configs.yaml(Configs.duckdb("""
                technical_setups:
                  default:
                    fail_fst: true
                instances:
                  mini: {}
                """)));
        assertEquals("technical_setups.default.fail_fst", e.key());
        assertTrue(e.getMessage().startsWith("weir.yaml: technical_setups.default.fail_fst: is not a known key of a"
                + " technical setup; did you mean 'fail_fast'?"), e.getMessage());
    }

    @Test
    void typoInNestedSectionIsFoundAtLoad() {
        ConfigError e = assertThrows(ConfigError.class, () -> Configs.yaml(Configs.duckdb("""
                instances:
                  mini:
                    cache_validation:
                      mdoe: normal
                """)));
        assertTrue(e.getMessage().contains("instances.mini.cache_validation.mdoe: is not a known key of"
                + " cache_validation; did you mean 'mode'?"), e.getMessage());
    }

    @Test
    void typoAtTopLevelIsReported() {
        ConfigError e = assertThrows(ConfigError.class, () -> Configs.yaml(VALID + "instance:\n  x: {}\n"));
        assertTrue(e.getMessage().contains("did you mean 'instances'?"), e.getMessage());
    }

    @Test
    void stringWhereBooleanExpectedNamesKeyValueAndExpectation() {
        ConfigError e = assertThrows(ConfigError.class, () -> Configs.yaml(Configs.duckdb("""
                technical_setups:
                  default:
                    fail_fast: "sometimes"
                    table_store: {table_store_connection: duckdb}
                instances:
                  mini: {}
                """)).instance("mini"));
        assertEquals("weir.yaml: technical_setups.default.fail_fast: 'sometimes' - expected a boolean (true or false)",
                e.getMessage());
    }

    @Test
    void badDurationNamesTheKeyWhereItWasWritten() {
        ConfigError e = assertThrows(ConfigError.class, () -> Configs.yaml(Configs.duckdb("""
                instances:
                  __any__:
                    table_store: {table_store_connection: duckdb}
                    lock_timeout: soon
                  mini: {}
                """)).instance("mini"));
        assertEquals("instances.__any__.lock_timeout", e.key());
        assertTrue(e.getMessage().contains("'soon' - expected a duration such as '10 minutes'"), e.getMessage());
    }

    @Test
    void numberExpectedForMaxParallelism() {
        ConfigError e = assertThrows(ConfigError.class, () -> Configs.yaml(Configs.duckdb("""
                instances:
                  mini:
                    table_store: {table_store_connection: duckdb}
                    orchestration: {engine: parallel, max_parallelism: many}
                """)).instance("mini"));
        assertEquals("weir.yaml: instances.mini.orchestration.max_parallelism: 'many' - expected a whole number of"
                + " at least 1", e.getMessage());
    }

    @Test
    void badCacheValidationModeListsTheModes() {
        ConfigError e = assertThrows(ConfigError.class, () -> Configs.yaml(Configs.duckdb("""
                instances:
                  mini:
                    table_store: {table_store_connection: duckdb}
                    cache_validation: {mode: sometimes}
                """)).instance("mini"));
        assertTrue(e.getMessage().startsWith("weir.yaml: instances.mini.cache_validation.mode: 'sometimes' - expected"
                + " one of normal, assert-no-fresh-input, ignore-fresh-input, force-fresh-input, force-cache-invalid"),
                e.getMessage());
    }

    @Test
    void pipedagSpellingOfCacheModesIsAccepted() {
        InstanceConfig mini = Configs.yaml(Configs.duckdb("""
                instances:
                  mini:
                    table_store: {table_store_connection: duckdb}
                    cache_validation: {mode: force_caches_invalid}
                """)).instance("mini");
        assertEquals(InstanceConfig.CacheValidation.Mode.FORCE_CACHE_INVALID, mini.cacheValidation().mode());
    }

    @Test
    void disablingCacheFunctionsInNormalModeIsRefused() {
        ConfigError e = assertThrows(ConfigError.class, () -> Configs.yaml(Configs.duckdb("""
                instances:
                  mini:
                    table_store: {table_store_connection: duckdb}
                    cache_validation: {disable_cache_function: true}
                """)).instance("mini"));
        assertEquals("instances.mini.cache_validation.disable_cache_function", e.key());
    }

    @Test
    void unknownTableStoreConnectionListsTheConfiguredOnes() {
        ConfigError e = assertThrows(ConfigError.class, () -> Configs.yaml(Configs.duckdb("""
                instances:
                  mini:
                    table_store: {table_store_connection: duckbd}
                """)).instance("mini"));
        assertEquals("weir.yaml: instances.mini.table_store.table_store_connection: 'duckbd' - expected one of the"
                + " table_store_connections [duckdb]", e.getMessage());
    }

    @Test
    void secretKeyValueIsMaskedInTypeErrors() {
        ConfigError e = assertThrows(ConfigError.class, () -> Configs.yaml(Configs.duckdb("""
                instances:
                  mini:
                    table_store: {table_store_connection: duckdb}
                    attrs_file: {password: Hunter2-xyz}
                """)).instance("mini"));
        assertFalse(e.getMessage().contains("Hunter2"), e.getMessage());
    }

    @Test
    void unknownFileEndingIsRefused() {
        ConfigError e = assertThrows(ConfigError.class, () -> WeirConfig.load(Path.of("pipeline.toml")));
        assertEquals("pipeline.toml: has an unknown file ending; expected .conf (HOCON), .yaml or .yml (YAML)",
                e.getMessage());
    }

    @Test
    void invalidYamlNamesTheFileAndLine() {
        ConfigError e = assertThrows(ConfigError.class,
                () -> Configs.yaml("name: shop\ninstances:\n  mini: [unclosed\n"));
        assertTrue(e.getMessage().startsWith("weir.yaml: is not valid YAML"), e.getMessage());
        assertTrue(e.getMessage().contains("line"), e.getMessage());
    }

    @Test
    void hoconConfigurationsAreCheckedAlike() {
        ConfigError e = assertThrows(ConfigError.class, () -> Configs.hocon("""
                table_store_connections.duckdb.args.url = "duckdb:///x.duckdb"
                instances.mini { table_store.table_store_connection = duckdb, retry.max_atempts = 2 }
                """));
        assertTrue(e.getMessage().startsWith("weir.conf: instances.mini.retry.max_atempts: is not a known key of"
                + " retry; did you mean 'max_attempts'?"), e.getMessage());
    }
}
