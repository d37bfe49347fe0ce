package dev.weir.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** task_timeout, chunk_timeout and statement_timeout: defaults, inheritance, the store's copy, bad values. */
class TimeoutKeysTest {

    @Test
    void theDefaultsBoundEveryWait() {
        InstanceConfig mini = Configs.yaml(Configs.duckdb("""
                instances:
                  mini:
                    table_store: {table_store_connection: duckdb}
                """)).instance("mini");
        assertEquals(new InstanceConfig.Timeouts(Duration.ofHours(2), Duration.ofMinutes(30), Duration.ofHours(1)),
                mini.timeouts());
        assertEquals(Duration.ofMinutes(10), mini.lockTimeout());
        assertEquals(Duration.ofHours(1), mini.tableStore().args().getDuration("statement_timeout"));
    }

    @Test
    void anInstanceInheritsTheKeysFromAnyAndHandsStatementTimeoutToItsStores() {
        WeirConfig config = Configs.yaml(Configs.duckdb("""
                instances:
                  __any__:
                    table_store: {table_store_connection: duckdb}
                    task_timeout: 20 minutes
                    chunk_timeout: 90s
                    statement_timeout: 5 minutes
                  mini:
                    task_timeout: 1 hour
                """));
        InstanceConfig mini = config.instance("mini");
        assertEquals(Duration.ofHours(1), mini.timeouts().task());
        assertEquals(Duration.ofSeconds(90), mini.timeouts().chunk());
        assertEquals(Duration.ofMinutes(5), mini.timeouts().statement());
        assertEquals(Duration.ofMinutes(5), mini.tableStore().args().getDuration("statement_timeout"));
        String described = config.describe(mini);
        assertTrue(described.contains("task_timeout") && described.contains("statement_timeout"), described);
    }

    @Test
    void aConnectionsOwnStatementTimeoutWins() {
        InstanceConfig mini = Configs.yaml("""
                table_store_connections:
                  duckdb:
                    kind: duckdb
                    args: {path: ":memory:", statement_timeout: 30s}
                instances:
                  mini:
                    table_store: {table_store_connection: duckdb}
                    statement_timeout: 5 minutes
                """).instance("mini");
        assertEquals(Duration.ofSeconds(30), mini.tableStore().args().getDuration("statement_timeout"));
    }

    @Test
    void aZeroTimeoutIsRefusedNamingTheKey() {
        ConfigError e = assertThrows(ConfigError.class, () -> Configs.yaml(Configs.duckdb("""
                instances:
                  mini:
                    table_store: {table_store_connection: duckdb}
                    chunk_timeout: 0s
                """)).instance("mini"));
        assertEquals("instances.mini.chunk_timeout", e.key());
        assertTrue(e.getMessage().contains("a duration above zero"), e.getMessage());
    }

    @Test
    void anInstanceChangedInCodeKeepsItsTimeouts() {
        InstanceConfig mini = Configs.yaml(Configs.duckdb("""
                instances:
                  mini:
                    table_store: {table_store_connection: duckdb}
                    task_timeout: 20 minutes
                """)).instance("mini");
        InstanceConfig.Timeouts configured = mini.timeouts();
        // weir run --param goes through withAttrs: the configured timeouts must survive it
        assertEquals(configured, mini.withAttrs(com.typesafe.config.ConfigFactory.parseString("x = 1")).timeouts());
        assertEquals(configured, mini.withFailFast(true).timeouts());
        assertEquals(configured, mini.withRetry(InstanceConfig.RetryPolicy.DEFAULT).timeouts());
    }
}
