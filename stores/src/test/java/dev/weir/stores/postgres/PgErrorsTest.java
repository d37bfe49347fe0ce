package dev.weir.stores.postgres;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;

/** Which PostgreSQL failures a retry may cure: decided by SQLState, anywhere in the cause chain. */
class PgErrorsTest {

    @Test
    void lostConnectionsSerializationFailuresShutdownsAndTooManyConnectionsAreTransient() {
        for (String state : new String[] {"08006", "08001", "08003", "40001", "40P01", "57P01", "57P02", "57P03", "53300"}) {
            assertTrue(PgErrors.isTransient(new SQLException("x", state)), state);
        }
    }

    @Test
    void aStatementCancelledByItsTimeoutAndSyntaxErrorsArePermanent() {
        assertFalse(PgErrors.isTransient(new SQLException("canceling statement due to statement timeout", "57014")));
        assertFalse(PgErrors.isTransient(new SQLException("syntax error", "42601")));
    }

    @Test
    void aTransientStateDeepInTheCauseChainCounts() {
        Throwable wrapped = new IllegalStateException("could not read Arrow batches",
                new UncheckedIOException(new java.io.IOException(new SQLException("terminating connection", "57P01"))));
        assertTrue(PgErrors.isTransient(wrapped));
    }

    @Test
    void aPoolTimeoutWhileTheServerIsUpIsPermanentButOneWhileItIsAwayIsTransient() {
        assertFalse(PgErrors.isTransient(new SQLTransientConnectionException(
                "pool - Connection is not available, request timed out after 30000ms.")),
                "the pool is too small for the run: retrying stalls the same way");
        assertTrue(PgErrors.isTransient(new SQLTransientConnectionException(
                "pool - Connection is not available, request timed out after 30000ms.", "08001",
                new SQLException("Connection refused", "08001"))));
    }
}
