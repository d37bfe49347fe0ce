package dev.weir.stores.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.StoreSettings;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where connection values come from: key, url, PG* variable, default — and the password stays hidden. */
class PgConnectionSettingsTest {

    private static StoreSettings store(Map<String, Object> args) {
        return new StoreSettings("mini", "mini_id", "pg", "postgres", ConfigFactory.parseMap(args, "test"),
                Path.of("."), "weir.conf: table_store_connections.pg");
    }

    @Test
    void aPipedagUrlGivesEveryPart() {
        PgConnectionSettings s = PgConnectionSettings.from(
                store(Map.of("url", "postgresql://alice:p%40ss@db.example:6543/mini_id?sslmode=require")), Map.of());
        assertEquals(new PgConnectionSettings("db.example", 6543, "mini_id", "alice", "p@ss", 8, false,
                Map.of("sslmode", "require")), s);
        assertEquals("jdbc:postgresql://db.example:6543/mini_id", s.jdbcUrl());
        assertEquals("postgresql://alice:***@db.example:6543/mini_id", s.toString());
    }

    @Test
    void aJdbcUrlTakesUserAndPasswordFromKeysOrEnvironment() {
        PgConnectionSettings s = PgConnectionSettings.from(
                store(Map.of("url", "jdbc:postgresql://h:5433/d", "user", "bob")), Map.of("PGPASSWORD", "pw"));
        assertEquals(new PgConnectionSettings("h", 5433, "d", "bob", "pw", 8, false, Map.of()), s);
    }

    @Test
    void absentKeysFallBackToLibpqVariablesThenDefaults() {
        PgConnectionSettings fromEnv = PgConnectionSettings.from(store(Map.of("pool_size", 3)),
                Map.of("PGHOST", "envhost", "PGPORT", "6000", "PGUSER", "carol", "PGDATABASE", "envdb"));
        assertEquals(new PgConnectionSettings("envhost", 6000, "envdb", "carol", null, 3, true, Map.of()), fromEnv);
        PgConnectionSettings defaults = PgConnectionSettings.from(store(Map.of("user", "dave")), Map.of());
        assertEquals(new PgConnectionSettings("localhost", 5432, "dave", "dave", null, 8, false, Map.of()), defaults);
    }

    @Test
    void explicitKeysWinOverTheUrl() {
        PgConnectionSettings s = PgConnectionSettings.from(store(Map.of(
                "url", "postgresql://u:p@urlhost:1111/urldb", "host", "keyhost", "database", "keydb")), Map.of());
        assertEquals("keyhost:1111/keydb", s.address());
        assertEquals("u", s.user());
    }

    @Test
    void aBadUrlIsNamedWithItsPasswordMasked() {
        StoreException e = assertThrows(StoreException.class, () -> PgConnectionSettings.from(
                store(Map.of("url", "mysql://u:topsecret@h:1/d")), Map.of()));
        assertTrue(e.getMessage().contains("key 'url'"), e.getMessage());
        assertTrue(e.getMessage().contains("mysql://u:***@h:1/d"), e.getMessage());
        assertTrue(e.getMessage().contains("weir.conf: table_store_connections.pg"), e.getMessage());
        assertFalse(e.getMessage().contains("topsecret"), e.getMessage());
    }

    @Test
    void passwordsWithUrlCharactersAreMaskedWhole() {
        assertEquals("postgresql://u:***@h:5432/d", PgConnectionSettings.maskPassword("postgresql://u:a/b@c:d@h:5432/d"));
        assertEquals("jdbc:postgresql://h/d", PgConnectionSettings.maskPassword("jdbc:postgresql://h/d"));
        StoreException e = assertThrows(StoreException.class, () -> PgConnectionSettings.from(
                store(Map.of("url", "postgresql://u:p/w#x@h:1/d")), Map.of()));
        assertFalse(e.getMessage().contains("p/w#x"), e.getMessage());
    }

    @Test
    void aBadPortOrPoolSizeIsNamed() {
        StoreException port = assertThrows(StoreException.class,
                () -> PgConnectionSettings.from(store(Map.of("port", "fivefour")), Map.of()));
        assertTrue(port.getMessage().contains("'port'") && port.getMessage().contains("fivefour"), port.getMessage());
        StoreException pool = assertThrows(StoreException.class,
                () -> PgConnectionSettings.from(store(Map.of("pool_size", 0)), Map.of()));
        assertTrue(pool.getMessage().contains("pool_size must be at least 1"), pool.getMessage());
    }

    @Test
    void sqlStatesAreClassifiedWithoutAServer() {
        assertTrue(PgErrors.isTransientState("08001"));
        assertTrue(PgErrors.isTransientState("40P01"));
        assertFalse(PgErrors.isTransientState("42P01"));
        assertFalse(PgErrors.isTransientState(null));
        assertTrue(PgErrors.isTransient(new RuntimeException(new java.sql.SQLException("lost", "08006"))));
    }
}
