package dev.weir.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.store.StoreSettings;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How table store connections become StoreSettings: kinds, url parts, switching connections. */
class TableStoreSettingsTest {

    private static final String TWO_STORES = """
            table_store_connections:
              duckdb:
                args:
                  url: "duckdb:////tmp/weir/{instance_id}.duckdb"
              postgres:
                args:
                  url: "postgresql://weir:{$PG_PASSWORD}@localhost:5432/weir"
            instances:
              mini:
                table_store:
                  table_store_connection: duckdb
                  args:
                    schema_prefix: "{instance_id}_"
            """;

    @Test
    void duckdbKindAndPathComeFromTheUrl() {
        StoreSettings store = Configs.yaml(TWO_STORES, Map.of("PG_PASSWORD", "pw-777")).instance("mini").tableStore();
        assertEquals("duckdb", store.kind());
        assertEquals("/tmp/weir/mini.duckdb", store.args().getString("path"));
        assertEquals("mini_", store.schemaPrefix());
        assertEquals("duckdb", store.connectionName());
        assertEquals("mini", store.instanceId());
    }

    @Test
    void withTableStoreSwitchesToAnotherConnectionKeepingInstanceArgs() {
        InstanceConfig mini = Configs.yaml(TWO_STORES, Map.of("PG_PASSWORD", "pw-777")).instance("mini");
        assertEquals(Set.of("duckdb", "postgres"), mini.tableStores().keySet());
        StoreSettings postgres = mini.withTableStore("postgres").tableStore();
        assertEquals("postgres", postgres.kind());
        assertEquals("localhost", postgres.args().getString("host"));
        assertEquals(5432, postgres.args().getInt("port"));
        assertEquals("weir", postgres.args().getString("database"));
        assertEquals("weir", postgres.args().getString("user"));
        assertEquals("pw-777", postgres.args().getString("password"));
        assertEquals("mini_", postgres.schemaPrefix());
        assertEquals("postgresql://weir:pw-777@localhost:5432/weir", postgres.args().getString("url"));
    }

    @Test
    void connectionThatCannotBeResolvedIsLeftOutAndExplainedOnRequest() {
        WeirConfig config = Configs.yaml(TWO_STORES);
        InstanceConfig mini = config.instance("mini");
        assertEquals(Set.of("duckdb"), mini.tableStores().keySet());
        assertThrows(ConfigError.class, () -> mini.withTableStore("postgres"));
        ConfigError e = assertThrows(ConfigError.class, () -> config.instance("mini", false, "postgres"));
        assertTrue(e.getMessage().contains("PG_PASSWORD"), e.getMessage());
    }

    @Test
    void kindIsInferredFromPostgresUrlSchemes() {
        for (String url : new String[] {"postgresql://h/db", "postgres://h/db", "jdbc:postgresql://h/db",
                "postgresql+psycopg2://h/db"}) {
            StoreSettings store = Configs.yaml("""
                    table_store_connections:
                      pg: {args: {url: "%s"}}
                    instances:
                      mini: {table_store: {table_store_connection: pg}}
                    """.formatted(url)).instance("mini").tableStore();
            assertEquals("postgres", store.kind(), url);
            assertEquals("h", store.args().getString("host"), url);
            assertEquals("db", store.args().getString("database"), url);
        }
    }

    @Test
    void explicitKindWinsOverTheUrl() {
        StoreSettings store = Configs.yaml("""
                table_store_connections:
                  lake: {kind: parquet-lake, args: {url: "duckdb:///lake.duckdb"}}
                instances:
                  mini: {table_store: {table_store_connection: lake}}
                """).instance("mini").tableStore();
        assertEquals("parquet-lake", store.kind());
    }

    @Test
    void pipedagSqlTableStoreClassIsReadThroughItsUrl() {
        WeirConfig config = Configs.yaml("""
                instances:
                  mini:
                    table_store:
                      class: pydiverse.pipedag.backend.table.SQLTableStore
                      args: {url: "duckdb:////tmp/{instance_id}.duckdb"}
                """);
        StoreSettings store = config.instance("mini").tableStore();
        assertEquals("duckdb", store.kind());
        assertEquals("/tmp/mini.duckdb", store.args().getString("path"));
        assertTrue(config.warnings().isEmpty(), config.warnings().toString());
    }

    @Test
    void unknownUrlSchemeWithoutKindIsRefusedWithTheUrlPasswordMasked() {
        ConfigError e = assertThrows(ConfigError.class, () -> Configs.yaml("""
                table_store_connections:
                  ms: {args: {url: "mssql://sa:Sup3rSecret@db/x"}}
                instances:
                  mini: {table_store: {table_store_connection: ms}}
                """).instance("mini"));
        assertEquals("table_store_connections.ms.args.url", e.key());
        assertFalse(e.getMessage().contains("Sup3rSecret"), e.getMessage());
        assertTrue(e.getMessage().contains("mssql://sa:***@db/x"), e.getMessage());
    }

    @Test
    void storeSettingsToStringShowsNoArguments() {
        InstanceConfig mini = Configs.yaml(TWO_STORES, Map.of("PG_PASSWORD", "pw-777")).instance("mini");
        assertFalse(mini.toString().contains("pw-777"), mini.toString());
    }
}
