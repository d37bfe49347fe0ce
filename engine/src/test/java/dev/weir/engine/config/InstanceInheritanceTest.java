package dev.weir.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.config.InstanceConfig.CacheValidation.Mode;
import dev.weir.engine.config.InstanceConfig.InlineMode;
import dev.weir.engine.config.InstanceConfig.Orchestration.Engine;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How an instance inherits from instances.__any__, its technical setup and Weir's defaults. */
class InstanceInheritanceTest {

    private final WeirConfig config = Configs.yaml(Configs.duckdb("""
            technical_setups:
              default:
                fail_fast: true
                lock_timeout: 30s
                table_store:
                  table_store_connection: duckdb
                cache_validation:
                  mode: ignore_fresh_input
            instances:
              __any__:
                orchestration:
                  engine: parallel
                  max_parallelism: 3
                attrs:
                  region: eu
                  sample:
                    rows: 100
                    seed: 7
              full:
                instance_id: full
              mini:
                instance_id: mini
                fail_fast: false
                orchestration:
                  max_parallelism: 1
                attrs:
                  sample:
                    rows: 5
            """));

    @Test
    void instanceInheritsAnyAndItsTechnicalSetup() {
        InstanceConfig full = config.instance("full");
        assertTrue(full.failFast());
        assertEquals(Duration.ofSeconds(30), full.lockTimeout());
        assertEquals(Engine.PARALLEL, full.orchestration().engine());
        assertEquals(3, full.orchestration().maxParallelism());
        assertEquals(Mode.IGNORE_FRESH_INPUT, full.cacheValidation().mode());
        assertEquals("eu", full.attr("region").orElseThrow());
    }

    @Test
    void instanceSectionOverridesSetupAndAnyKeyByKey() {
        InstanceConfig mini = config.instance("mini");
        assertFalse(mini.failFast());
        assertEquals(Engine.PARALLEL, mini.orchestration().engine());
        assertEquals(1, mini.orchestration().maxParallelism());
    }

    @Test
    void attrsAreMergedDeeply() {
        InstanceConfig mini = config.instance("mini");
        assertEquals(5, mini.attrs().getInt("sample.rows"));
        assertEquals(7, mini.attrs().getInt("sample.seed"));
        assertEquals("eu", mini.attr("region").orElseThrow());
    }

    @Test
    void anAttrReadAsTheWrongTypeNamesTheFileAndTheKeyWhereItWasWritten() {
        InstanceConfig mini = config.instance("mini");
        com.typesafe.config.ConfigException.WrongType wrong = org.junit.jupiter.api.Assertions.assertThrows(
                com.typesafe.config.ConfigException.WrongType.class, () -> mini.attrs().getInt("region"));
        assertTrue(wrong.getMessage().startsWith("weir.yaml: instances."), wrong.getMessage());
        assertTrue(wrong.getMessage().contains(".attrs.region: region has type STRING"), wrong.getMessage());
        assertEquals(5, mini.attrs().getInt("sample.rows"), "values keep their types");
    }

    @Test
    void attrsKeepNullsEmptySectionsAndListsAsWritten() {
        InstanceConfig mini = Configs.yaml(Configs.duckdb("""
                instances:
                  mini:
                    table_store: {table_store_connection: duckdb}
                    attrs:
                      none: null
                      empty: {}
                      list: [1, "two", 3.5]
                      steps: [{name: "load"}, {name: "{instance_id}-clean"}]
                      "dotted.key": {n: 1}
                """)).instance("mini");
        assertTrue(mini.attrs().hasPathOrNull("none") && mini.attrs().getIsNull("none"));
        assertTrue(mini.attrs().getObject("empty").isEmpty());
        assertEquals(java.util.List.of(1, "two", 3.5), mini.attrs().getAnyRefList("list"));
        assertEquals(1, mini.attrs().getInt("\"dotted.key\".n"));
        assertEquals("mini-clean", mini.attrs().getConfigList("steps").get(1).getString("name"));
        assertEquals("weir.yaml: instances.mini.attrs.\"dotted.key\".n",
                mini.attrs().getValue("\"dotted.key\".n").origin().description());
    }

    @Test
    void unsetKeysTakeTheReferenceDefaults() {
        InstanceConfig full = Configs.yaml(Configs.duckdb("""
                instances:
                  full:
                    table_store:
                      table_store_connection: duckdb
                """)).instance("full");
        assertEquals("full", full.instanceId(), "the instance name stands in for a missing instance_id");
        assertFalse(full.failFast());
        assertEquals(InlineMode.DEFAULT_FALSE, full.inline());
        assertEquals(Duration.ofMinutes(10), full.lockTimeout());
        assertEquals(InstanceConfig.RetryPolicy.DEFAULT, full.retry());
        assertEquals(InstanceConfig.CacheValidation.NORMAL, full.cacheValidation());
        assertEquals(Engine.SEQUENTIAL, full.orchestration().engine());
        assertEquals(4, full.orchestration().maxParallelism(), "max_parallelism auto is the processor count");
        assertEquals(java.nio.file.Path.of("/work/project/.weir/full"), full.workDir());
        assertEquals(java.nio.file.Path.of("/work/project/.weir/full/blobs"), full.blobStoreDir());
    }

    @Test
    void pipedagDaskEngineRunsInParallel() {
        InstanceConfig full = Configs.yaml(Configs.duckdb("""
                instances:
                  full:
                    table_store: {table_store_connection: duckdb}
                    orchestration:
                      class: pydiverse.pipedag.engine.DaskEngine
                """)).instance("full");
        assertEquals(Engine.PARALLEL, full.orchestration().engine());
    }

    @Test
    void instanceCanNameAnotherTechnicalSetup() {
        WeirConfig twoSetups = Configs.yaml(Configs.duckdb("""
                technical_setups:
                  default:
                    fail_fast: false
                    table_store: {table_store_connection: duckdb}
                  strict:
                    fail_fast: true
                    table_store: {table_store_connection: duckdb}
                instances:
                  dev: {}
                  ci:
                    technical_setup: strict
                """));
        assertFalse(twoSetups.instance("dev").failFast());
        assertTrue(twoSetups.instance("ci").failFast());
    }
}
