package dev.weir.testpostgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class TestPostgresTest {

    @Test
    void withoutPgVariablesOutsideCiTheTestsGetAnEmbeddedServer() throws Exception {
        TestPostgres.Lookup lookup = TestPostgres.find(Map.of("PATH", "/usr/bin"));

        assertTrue(lookup.found(), lookup::problem);
        assertEquals("embedded PostgreSQL", lookup.server().origin());
        try (Connection c = lookup.server().connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SHOW server_version")) {
            assertTrue(rs.next());
            assertTrue(rs.getString(1).startsWith("15."), "the major of CI's Debian server: " + rs.getString(1));
        }
    }

    @Test
    void theEmbeddedServerAsksForThePasswordLikeARealOne() throws Exception {
        TestPostgres.Server server = TestPostgres.embedded();
        TestPostgres.Server wrong = new TestPostgres.Server(server.host(), server.port(), server.user(), "wrong",
                server.database(), "test");

        SQLException e = assertThrows(SQLException.class, () -> wrong.connect().close());
        assertEquals("28P01", e.getSQLState(), e.getMessage());
    }

    @Test
    void theEmbeddedServerIsStartedOncePerJvm() throws Exception {
        assertEquals(TestPostgres.embedded().port(), TestPostgres.embedded().port());
    }

    @Test
    void aConfiguredServerThatDoesNotAnswerIsNotReplacedByAnEmbeddedOne() {
        TestPostgres.Lookup lookup = TestPostgres.find(Map.of("PGHOST", "127.0.0.1", "PGPORT", "1"));

        assertFalse(lookup.found());
        assertTrue(lookup.problem().contains("no PostgreSQL server reachable at 127.0.0.1:1"), lookup.problem());
        assertTrue(lookup.problem().contains("unset PGHOST and PGPORT"), lookup.problem());
    }

    @Test
    void underCiWithoutPgVariablesNoEmbeddedServerIsStarted() {
        TestPostgres.Lookup lookup = TestPostgres.find(Map.of("CI", "true"));

        assertFalse(lookup.found());
        assertNull(lookup.cause());
        assertTrue(lookup.problem().contains("no PostgreSQL server configured"), lookup.problem());
    }

    @Test
    void withoutAServerATestIsSkippedOutsideCiAndFailsUnderCi() {
        TestPostgres.Lookup none = TestPostgres.find(Map.of("PGHOST", "127.0.0.1", "PGPORT", "1"));

        TestAbortedException skipped = assertThrows(TestAbortedException.class,
                () -> TestPostgres.require(none, Map.of()));
        assertTrue(skipped.getMessage().contains(none.problem()), skipped.getMessage());
        AssertionFailedError failed = assertThrows(AssertionFailedError.class,
                () -> TestPostgres.require(none, Map.of("CI", "true")));
        assertTrue(failed.getMessage().startsWith("CI=true: no PostgreSQL server reachable"), failed.getMessage());
    }

    @Test
    void aPgPortThatIsNoNumberIsNamed() {
        TestPostgres.Lookup lookup = TestPostgres.find(Map.of("PGPORT", "five"));

        assertFalse(lookup.found());
        assertEquals("PGPORT is not a port number: 'five'", lookup.problem());
    }

    @Test
    void theServersEnvironmentNamesItForAChildProcessAndItsTextHidesThePassword() {
        TestPostgres.Server server = new TestPostgres.Server("db", 6543, "weir", "s3cret", "pipes", "PG* variables");

        Map<String, String> env = server.env(Map.of("PATH", "/usr/bin", "PGPASSWORD", "old"));

        assertEquals(Map.of("PATH", "/usr/bin", "PGHOST", "db", "PGPORT", "6543", "PGUSER", "weir",
                "PGPASSWORD", "s3cret", "PGDATABASE", "pipes"), env);
        assertEquals("jdbc:postgresql://db:6543/pipes", server.jdbcUrl());
        assertFalse(server.toString().contains("s3cret"), server.toString());
        assertFalse(new TestPostgres.Server("db", 1, "u", null, "d", "x").env(Map.of("PGPASSWORD", "old"))
                .containsKey("PGPASSWORD"));
    }
}
