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

/**
 * A key written twice in a YAML configuration is an error naming it and both lines; a malformed
 * url_attrs_file is reported by file, line and what was expected, never by its text.
 */
class MalformedFilesTest {

    /** A line of a password file: read as YAML it is one long key holding the hash. */
    private static final String SHADOW_LINE = "root:$6$rounds=5000$Ab.cd$Xy7ShadowHash0123456789:19000:0:99999:7:::";
    private static final String HASH = "Xy7ShadowHash0123456789";

    @TempDir
    Path dir;

    @Test
    void aDuplicateKeyNamesTheKeyAndBothLines() {
        ConfigError e = assertThrows(ConfigError.class, () -> Configs.yaml("""
                name: shop
                table_store_connections:
                  duckdb:
                    args:
                      url: "duckdb:////tmp/a.duckdb"
                      schema_prefix: "a_"
                      url: "duckdb:////tmp/b.duckdb"
                """));
        assertEquals("weir.yaml", e.file());
        assertEquals("table_store_connections.duckdb.args.url", e.key());
        assertTrue(e.getMessage().contains("line 5") && e.getMessage().contains("line 7"), e.getMessage());
    }

    @Test
    void aDuplicateTopLevelKeyInAFileNamesTheFileAndBothLines() throws IOException {
        Path file = dir.resolve("weir.yaml");
        Files.writeString(file, Configs.duckdb("instances:\n  mini: {}\nname: again\n"));
        ConfigError e = assertThrows(ConfigError.class, () -> Configs.loader(Map.of()).load(file));
        assertEquals("name", e.key());
        assertTrue(e.getMessage().contains("weir.yaml"), e.getMessage());
        assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains("line 8"), e.getMessage());
    }

    @Test
    void theSameKeyInTwoMappingsIsNoDuplicate() {
        WeirConfig config = Configs.yaml(Configs.duckdb("""
                instances:
                  mini: {table_store: {table_store_connection: duckdb}, attrs: {region: eu}}
                  full: {table_store: {table_store_connection: duckdb}, attrs: {region: us}}
                """));
        assertEquals("eu", config.instance("mini").attrs().getString("region"));
    }

    @Test
    void aPasswordFileLineReadAsAKeyIsReportedByLineOnly() throws IOException {
        Files.writeString(dir.resolve("secrets.yaml"), "user: loader\n" + SHADOW_LINE + "\npassword: pw\n");
        ConfigError e = assertThrows(ConfigError.class, () -> postgresWithAttrs("secrets.yaml").instance("mini"));
        assertNoSecretIn(e);
        assertTrue(e.getMessage().contains("secrets.yaml") && e.getMessage().contains("line 2"), e.getMessage());
        assertTrue(e.getMessage().contains("expected name: value"), e.getMessage());
    }

    @Test
    void anUnknownPlaceholderDoesNotListTheNamesOfTheUrlAttrsFile() throws IOException {
        Files.writeString(dir.resolve("secrets.yaml"), "user: loader\nHunter2xyz: \n");
        ConfigError e = assertThrows(ConfigError.class, () -> postgresWithAttrs("secrets.yaml").instance("mini"));
        assertTrue(e.getMessage().contains("{password}"), e.getMessage());
        assertFalse(e.getMessage().contains("Hunter2xyz"), e.getMessage());
    }

    @Test
    void aDuplicateKeyInAUrlAttrsFileNamesTheLinesButNotTheKey() throws IOException {
        Files.writeString(dir.resolve("secrets.yaml"), "user: loader\npassword: pw\nHunter2xyz: 1\nHunter2xyz: 2\n");
        ConfigError e = assertThrows(ConfigError.class, () -> postgresWithAttrs("secrets.yaml").instance("mini"));
        assertTrue(e.getMessage().contains("line 4") && e.getMessage().contains("line 3"), e.getMessage());
        assertFalse(e.getMessage().contains("Hunter2xyz"), e.getMessage());
    }

    @Test
    void aSectionInAUrlAttrsFileIsReportedByLine() throws IOException {
        Files.writeString(dir.resolve("secrets.yaml"), "user: loader\npassword:\n  - " + HASH + "\n");
        ConfigError e = assertThrows(ConfigError.class, () -> postgresWithAttrs("secrets.yaml").instance("mini"));
        assertNoSecretIn(e);
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("single value"), e.getMessage());
    }

    @Test
    void aMalformedHoconUrlAttrsFileIsReportedByLineOnly() throws IOException {
        Files.writeString(dir.resolve("secrets.conf"), "user = loader\n\"" + SHADOW_LINE + "\" = x\n");
        ConfigError e = assertThrows(ConfigError.class, () -> postgresWithAttrs("secrets.conf").instance("mini"));
        assertNoSecretIn(e);
        assertTrue(e.getMessage().contains("secrets.conf") && e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void aWellFormedUrlAttrsFileStillFillsTheUrl() throws IOException {
        Files.writeString(dir.resolve("secrets.yaml"), "user: loader\npassword: Hunter2-xyz\n");
        InstanceConfig mini = postgresWithAttrs("secrets.yaml").instance("mini");
        assertEquals("Hunter2-xyz", mini.tableStore().args().getString("password"));
        assertEquals("loader", mini.tableStore().args().getString("user"));
    }

    private WeirConfig postgresWithAttrs(String attrsFile) throws IOException {
        Files.writeString(dir.resolve("weir.yaml"), """
                table_store_connections:
                  pg:
                    args:
                      url: "postgresql://{user}:{password}@db:5432/shop"
                      url_attrs_file: %s
                instances:
                  mini:
                    table_store: {table_store_connection: pg}
                """.formatted(attrsFile));
        return Configs.loader(Map.of()).load(dir.resolve("weir.yaml"));
    }

    private static void assertNoSecretIn(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertFalse(String.valueOf(t.getMessage()).contains(HASH), t.getMessage());
            assertFalse(String.valueOf(t.getMessage()).contains("$6$"), t.getMessage());
        }
    }
}
