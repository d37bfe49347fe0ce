package dev.weir.stores.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.io.StringWriter;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad connection settings fail at open with one message that says what to check, and never the password. */
@ExtendWith(PostgresTestServer.Required.class)
class PostgresConnectionTest {

    private static final String SECRET = "s3cret-Not-This-One";
    private static PostgresTestServer server;

    @BeforeAll
    static void findServer() {
        server = PostgresTestServer.require();
    }

    private static StoreException openFails(Map<String, Object> args) {
        return assertThrows(StoreException.class,
                () -> PostgresTableStore.open(server.settings("mini", args), server.env()).close());
    }

    @Test
    void aPoolThatStaysExhaustedFailsNamingPoolSizeAndIsNotTransient() throws Exception {
        try (PostgresTableStore store = PostgresTableStore.open(server.settings("pool",
                Map.of("pool_size", 1, "connection_timeout", "300ms")), server.env());
             org.apache.arrow.memory.BufferAllocator allocator = new org.apache.arrow.memory.RootAllocator();
             org.apache.arrow.vector.ipc.ArrowReader open = store.query("SELECT 1 AS x", allocator)) {
            StoreException e = assertThrows(StoreException.class, () -> store.query("SELECT 2 AS x", allocator));
            assertFalse(e.isTransient(), "retrying would stall on the same full pool: " + e.getMessage());
            assertTrue(e.getMessage().contains("all 1 connections of the pool (1 in use")
                    && e.getMessage().contains("'pool_size'") && e.getMessage().contains("max_parallelism"), e.getMessage());
        }
    }

    @Test
    void aSessionWhoseClientVanishedEndsInsteadOfHoldingItsTransaction() throws Exception {
        String settings = "SELECT current_setting('idle_in_transaction_session_timeout') AS idle,"
                + " current_setting('tcp_keepalives_idle') AS keepalive_idle,"
                + " current_setting('tcp_keepalives_count') AS keepalive_count";
        try (PostgresTableStore store = PostgresTableStore.open(server.settings("sessions", Map.of()), server.env());
             org.apache.arrow.memory.BufferAllocator allocator = new org.apache.arrow.memory.RootAllocator();
             org.apache.arrow.vector.ipc.ArrowReader read = store.query(settings, allocator)) {
            assertTrue(read.loadNextBatch());
            assertEquals("30min", read.getVectorSchemaRoot().getVector("idle").getObject(0).toString());
            String keepalive = read.getVectorSchemaRoot().getVector("keepalive_idle").getObject(0).toString();
            // over a Unix socket the server reports 0: keepalives are a TCP matter
            boolean socket = server.env().getOrDefault("PGHOST", "").startsWith("/");
            assertTrue(keepalive.equals("60") || keepalive.equals("1min") || socket && keepalive.equals("0"), keepalive);
        }
        try (PostgresTableStore store = PostgresTableStore.open(server.settings("sessions",
                Map.of("idle_in_transaction_session_timeout", "90s")), server.env());
             org.apache.arrow.memory.BufferAllocator allocator = new org.apache.arrow.memory.RootAllocator();
             org.apache.arrow.vector.ipc.ArrowReader read = store.query(settings, allocator)) {
            assertTrue(read.loadNextBatch());
            assertEquals("90s", read.getVectorSchemaRoot().getVector("idle").getObject(0).toString());
        }
    }

    @Test
    void aConnectionTimeoutBelowHikariCpsLeastIsRefusedNamingTheKey() {
        StoreException e = openFails(Map.of("connection_timeout", "100ms"));
        assertTrue(e.getMessage().contains("'connection_timeout' must be at least 250ms"), e.getMessage());
    }

    /** The message, and the whole printed stack with its causes, hold no secret. */
    private static void assertNoSecret(StoreException e) {
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        assertFalse(trace.toString().contains(SECRET), trace.toString());
    }

    @Test
    void aWrongPasswordSaysToCheckUserAndPassword() {
        StoreException e = openFails(Map.of("password", SECRET));
        assertTrue(e.getMessage().contains("instance 'mini'"), e.getMessage());
        assertTrue(e.getMessage().contains("store 'postgres'"), e.getMessage());
        assertTrue(e.getMessage().contains(server.env().getOrDefault("PGHOST", "localhost")), e.getMessage());
        assertTrue(e.getMessage().contains("password"), e.getMessage());
        assertTrue(e.getMessage().contains("28P01"), e.getMessage());
        assertFalse(e.isTransient());
        assertNoSecret(e);
    }

    @Test
    void anUnreachablePortSaysToCheckTheServer() {
        StoreException e = openFails(Map.of("port", 1, "password", SECRET));
        assertTrue(e.getMessage().contains(":1/"), e.getMessage());
        assertTrue(e.getMessage().contains("accepts TCP connections"), e.getMessage());
        assertTrue(e.isTransient(), "a server that is down may come back");
        assertNoSecret(e);
    }

    @Test
    void aMissingDatabaseSaysHowToCreateIt() {
        StoreException e = openFails(Map.of("database", "weir_no_such_database"));
        assertTrue(e.getMessage().contains("/weir_no_such_database"), e.getMessage());
        assertTrue(e.getMessage().contains("CREATE DATABASE \"weir_no_such_database\""), e.getMessage());
        assertFalse(e.isTransient());
    }

    @Test
    void aPipedagStyleUrlConnects() {
        Map<String, String> env = server.env();
        String url = "postgresql://" + env.getOrDefault("PGUSER", "postgres") + ":" + env.getOrDefault("PGPASSWORD", "")
                + "@" + env.getOrDefault("PGHOST", "localhost") + ":" + env.getOrDefault("PGPORT", "5432") + "/"
                + env.getOrDefault("PGDATABASE", "postgres");
        try (TableStore store = PostgresTableStore.open(server.settings("mini", Map.of("url", url)), Map.of())) {
            assertTrue(store.listTables("pg_catalog").contains("pg_class"));
            assertEquals(Map.of("kind", "postgres", "connection", "postgres", "server", env.getOrDefault("PGHOST", "localhost")
                    + ":" + env.getOrDefault("PGPORT", "5432") + "/" + env.getOrDefault("PGDATABASE", "postgres")),
                    store.describe(), "host, port and database only: no user, no password");
        }
    }

    @Test
    void aConnectionKilledMidReadIsATransientFailureAndThePoolRecovers() throws Exception {
        try (PostgresTableStore store = PostgresTableStore.open(server.settings("killed_mid_read", Map.of()), server.env());
             org.apache.arrow.memory.BufferAllocator allocator = new org.apache.arrow.memory.RootAllocator()) {
            StoreException e;
            try (org.apache.arrow.vector.ipc.ArrowReader read = store.readArrow(
                    new dev.weir.engine.store.TableLocation("pg_catalog", "pg_class"), allocator,
                    new dev.weir.engine.store.ReadOptions(List.of(), null, 1))) {
                assertTrue(read.loadNextBatch());
                try (Connection c = server.connection(); Statement s = c.createStatement();
                     java.sql.ResultSet rs = s.executeQuery("SELECT application_name, state, query, pg_terminate_backend(pid)"
                             + " FROM pg_stat_activity WHERE application_name = 'weir killed_mid_read'"
                             + " AND state = 'idle in transaction'")) {
                    assertTrue(rs.next(), "the reader's session is found");
                    assertTrue(rs.getBoolean(4), "terminated");
                }
                e = assertThrows(StoreException.class, () -> {
                    while (read.loadNextBatch()) {
                        // the cursor's next fetch meets the dead connection
                    }
                });
            }
            assertTrue(e.isTransient(), e.getMessage());
            assertTrue(store.listTables("pg_catalog").contains("pg_class"), "a fresh connection serves the next call");
        }
    }

    @Test
    void theFactoryIsFoundByServiceLoaderAsPostgres() {
        assertTrue(ServiceLoader.load(TableStoreFactory.class).stream()
                .anyMatch(p -> p.type() == PostgresStoreFactory.class && p.get().kind().equals("postgres")));
    }

    @ParameterizedTest(name = "SQLState {0} is transient: {1}")
    @CsvSource({"40001, true", "40P01, true", "57P01, true", "57P02, true", "57P03, true", "53300, true",
            "08006, true", "23505, false", "42601, false", "22012, false"})
    void errorsRaisedByTheServerAreClassifiedBySqlState(String state, boolean transientFailure) {
        try (PostgresTableStore store = PostgresTableStore.open(server.settings("mini", Map.of()), server.env())) {
            String sql = "DO $$ BEGIN RAISE EXCEPTION 'raised for a test' USING ERRCODE = '" + state + "'; END $$";
            StoreException e = assertThrows(StoreException.class, () -> store.executeScript(sql));
            assertEquals(transientFailure, e.isTransient(), e.getMessage());
            assertEquals(sql, e.sql());
            assertTrue(e.getMessage().contains(state), e.getMessage());
        }
    }
}
