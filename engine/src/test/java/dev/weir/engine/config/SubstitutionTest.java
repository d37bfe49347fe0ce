package dev.weir.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The placeholders {instance_id}, {$ENV} and those of url_attrs_file, and attrs_file. */
class SubstitutionTest {

    private static final String POSTGRES_FROM_ENV = """
            name: shop
            table_store_connections:
              pg:
                args:
                  url: "postgresql://{$PG_USER}@db.example.com:5432/shop"
                  schema_suffix: "_{instance_id}"
            instances:
              mini:
                table_store: {table_store_connection: pg}
                work_dir: "{$SCRATCH}/{instance_id}"
            """;

    @TempDir
    Path dir;

    @Test
    void environmentVariablesAreSubstituted() {
        InstanceConfig mini = Configs.yaml(POSTGRES_FROM_ENV, Map.of("PG_USER", "loader", "SCRATCH", "/scratch"))
                .instance("mini");
        assertEquals("postgresql://loader@db.example.com:5432/shop", mini.tableStore().args().getString("url"));
        assertEquals("loader", mini.tableStore().args().getString("user"));
        assertEquals("_mini", mini.tableStore().schemaSuffix());
        assertEquals(Path.of("/scratch/mini"), mini.workDir());
    }

    @Test
    void missingEnvironmentVariableNamesTheKeyAndTheVariable() {
        WeirConfig config = Configs.yaml(POSTGRES_FROM_ENV, Map.of("SCRATCH", "/scratch"));
        ConfigError e = assertThrows(ConfigError.class, () -> config.instance("mini"));
        assertEquals("weir.yaml", e.file());
        assertEquals("table_store_connections.pg.args.url", e.key());
        assertTrue(e.getMessage().contains("environment variable PG_USER is not set"), e.getMessage());
    }

    @Test
    void urlAttrsFileSecretsAreSubstitutedButNeverShownInErrors() throws IOException {
        Files.writeString(dir.resolve("secrets.yaml"), "user: loader\npassword: Hunter2-xyz\nport: not-a-port\n");
        Files.writeString(dir.resolve("weir.yaml"), """
                table_store_connections:
                  pg:
                    args:
                      url: "postgresql://{user}:{password}@db:5432/shop"
                      url_attrs_file: secrets.yaml
                  broken:
                    args:
                      url: "mysql://{user}:{password}@db/shop"
                      url_attrs_file: secrets.yaml
                instances:
                  mini:
                    table_store: {table_store_connection: pg}
                  other:
                    table_store: {table_store_connection: broken}
                """);
        WeirConfig config = Configs.loader(Map.of()).load(dir.resolve("weir.yaml"));

        InstanceConfig mini = config.instance("mini");
        assertEquals("Hunter2-xyz", mini.tableStore().args().getString("password"));
        assertFalse(mini.toString().contains("Hunter2-xyz"), mini.toString());
        String described = config.describe(mini);
        assertFalse(described.contains("Hunter2-xyz"), described);
        assertTrue(described.contains("password: ***"), described);

        ConfigError e = assertThrows(ConfigError.class, () -> config.instance("other"));
        assertFalse(e.getMessage().contains("Hunter2-xyz"), e.getMessage());
        assertTrue(e.getMessage().contains("mysql://"), e.getMessage());
    }

    @Test
    void attrsFileIsMergedIntoAttrsAndMaskedInDescriptions() throws IOException {
        Files.writeString(dir.resolve("local-attrs.conf"), "api_user = \"svc-reader\"\nsource_key = \"k-123456\"\n");
        Files.writeString(dir.resolve("weir.yaml"), Configs.duckdb("""
                instances:
                  mini:
                    table_store: {table_store_connection: duckdb}
                    attrs_file: local-attrs.conf
                    attrs:
                      region: eu
                """));
        WeirConfig config = Configs.loader(Map.of()).load(dir.resolve("weir.yaml"));
        InstanceConfig mini = config.instance("mini");
        assertEquals("k-123456", mini.attr("source_key").orElseThrow());
        assertEquals("eu", mini.attr("region").orElseThrow());
        String described = config.describe(mini);
        assertFalse(described.contains("k-123456"), described);
        assertFalse(described.contains("svc-reader"), described);
        assertTrue(described.contains("region: eu"), described);
        assertFalse(mini.toString().contains("k-123456"), mini.toString());
    }

    @Test
    void missingAttrsFileIsReportedAgainstItsKey() {
        WeirConfig config = Configs.yaml(Configs.duckdb("""
                instances:
                  mini:
                    table_store: {table_store_connection: duckdb}
                    attrs_file: /nonexistent/weir-attrs.yaml
                """));
        ConfigError e = assertThrows(ConfigError.class, () -> config.instance("mini"));
        assertEquals("instances.mini.attrs_file", e.key());
        assertTrue(e.getMessage().startsWith("weir.yaml: instances.mini.attrs_file: names the file"
                + " /nonexistent/weir-attrs.yaml, which does not exist"), e.getMessage());
    }

    @Test
    void perUserInstanceIdEndsInTheUserName() {
        WeirConfig config = Configs.yaml(Configs.duckdb("""
                instances:
                  mini:
                    instance_id: mini
                    table_store: {table_store_connection: duckdb}
                  dev:
                    instance_id: dev
                    per_user: true
                    table_store: {table_store_connection: duckdb}
                """));
        InstanceConfig mini = config.instance("mini", true);
        assertEquals("mini_alice", mini.instanceId());
        assertTrue(mini.perUser());
        assertEquals("/tmp/weir/mini_alice.duckdb", mini.tableStore().args().getString("path"));
        assertEquals("mini", config.instance("mini").instanceId());
        assertEquals("dev_alice", config.instance("dev").instanceId());
    }

    @Test
    void userNameIsMadeSafeForSchemaNames() {
        WeirConfig config = Configs.loader(Map.of()).userName("j.doe-x").parseString(Configs.duckdb("""
                instances:
                  mini:
                    table_store: {table_store_connection: duckdb}
                """), WeirConfig.Syntax.YAML, "weir.yaml");
        assertEquals("mini_j_doe_x", config.instance("mini", true).instanceId());
    }

    @Test
    void maskingHidesTheInstancesSecretsInAnyText() throws IOException {
        Files.writeString(dir.resolve("secrets.yaml"), "user: loader\npassword: Hunter2-xyz\n");
        Files.writeString(dir.resolve("weir.yaml"), """
                table_store_connections:
                  pg:
                    args:
                      url: "postgresql://{user}:{password}@db:5432/shop"
                      url_attrs_file: secrets.yaml
                  other:
                    args:
                      url: "postgresql://db:5432/shop"
                      password: "Plain-pw-99"
                instances:
                  mini:
                    table_store: {table_store_connection: pg}
                """);
        WeirConfig config = Configs.loader(Map.of("PGPASSWORD", "Env-pw-42")).load(dir.resolve("weir.yaml"));
        var mask = config.masking(config.instance("mini"));
        String masked = mask.apply("driver said: password Hunter2-xyz, Plain-pw-99 or Env-pw-42 rejected for"
                + " postgresql://x:Url-pw-7@db/shop");
        for (String secret : new String[] {"Hunter2-xyz", "Plain-pw-99", "Env-pw-42", "Url-pw-7"}) {
            assertFalse(masked.contains(secret), masked);
        }
        assertTrue(masked.startsWith("driver said: password ***"), masked);
    }
}
