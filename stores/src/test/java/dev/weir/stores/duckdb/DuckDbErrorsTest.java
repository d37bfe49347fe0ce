package dev.weir.stores.duckdb;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** Which DuckDB failures a retry can fix. */
class DuckDbErrorsTest {

    @Test
    void aTransactionConflictIsTransient() {
        assertTrue(DuckDbDatabase.isTransient(new SQLException("TransactionContext Error: Conflict on update!")));
    }

    @Test
    void aDatabaseFileLockedByAnotherProcessIsTransient() {
        assertTrue(DuckDbDatabase.isTransient(new SQLException(
                "IO Error: Could not set lock on file \"/x/mini.duckdb\": Conflicting lock is held")));
    }

    @Test
    void syntaxCatalogAndConstraintErrorsAreNot() {
        assertFalse(DuckDbDatabase.isTransient(new SQLException("Parser Error: syntax error at or near \"SELEKT\"")));
        assertFalse(DuckDbDatabase.isTransient(new SQLException("Catalog Error: Table with name t does not exist!")));
        assertFalse(DuckDbDatabase.isTransient(new SQLException(
                "Constraint Error: PRIMARY KEY or UNIQUE constraint violation: duplicate key \"1\"")));
    }
}
