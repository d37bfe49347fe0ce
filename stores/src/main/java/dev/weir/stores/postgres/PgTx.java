package dev.weir.stores.postgres;

import dev.weir.engine.store.StoreException;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * One database transaction of a store: statements run on one pooled connection, and the whole
 * unit commits or rolls back together. It remembers the statement in flight so that a failure
 * names the SQL that failed, not only the operation.
 *
 * <p>PostgreSQL DDL is transactional, so a table created, loaded and indexed in one unit is either
 * there complete or not at all.
 */
final class PgTx {

    /** The body of a transaction. */
    interface Work<T> {
        T run(PgTx tx) throws SQLException, IOException;
    }

    /** Maps one result row. */
    interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private final Connection connection;
    private String currentSql;
    /** A statement to send with the unit's first {@link #execute}, in the same round trip; or null. */
    private String prefix;

    private PgTx(Connection connection) {
        this.connection = connection;
    }

    /**
     * Runs {@code work} in one transaction on a connection of {@code pool}.
     *
     * @param store for messages
     * @param what  what the unit does, for messages ("cannot " + what)
     */
    static <T> T run(PgPool pool, Object store, String what, Work<T> work) {
        return run(pool, store, what, false, work);
    }

    /**
     * Runs {@code work} in one transaction that writes into a stage's transaction schema. Its commit does
     * not wait for the WAL flush ({@code synchronous_commit = off}): nothing it writes is visible to
     * readers of committed stages until the stage commits, and the stage's commit is synchronous, so
     * it waits for the WAL up to its own record, which covers every write before it. A crash before
     * the stage commit may lose such a write, but then the stage was never committed and the next run
     * begins it anew. Saves a WAL flush per task.
     */
    static <T> T runStaged(PgPool pool, Object store, String what, Work<T> work) {
        return run(pool, store, what, true, work);
    }

    private static <T> T run(PgPool pool, Object store, String what, boolean staged, Work<T> work) {
        try (Connection connection = pool.connection()) {
            PgTx tx = new PgTx(connection);
            try {
                connection.setAutoCommit(false);
                if (staged) {
                    tx.prefix = "SET LOCAL synchronous_commit = off";
                }
                T result = work.run(tx);
                tx.currentSql = "COMMIT";
                connection.commit();
                return result;
            } catch (SQLException | IOException | RuntimeException e) {
                rollback(connection, e);
                if (e instanceof StoreException se) {
                    throw se;
                }
                throw PgErrors.failure(store, "cannot " + what, tx.currentSql, e);
            }
        } catch (SQLException e) {
            throw PgErrors.failure(store, "cannot " + what + " (closing the connection failed)", null, e);
        }
    }

    Connection connection() {
        return connection;
    }

    /** Remembers {@code sql} as the statement in flight, for the message should it fail. */
    String track(String sql) {
        currentSql = sql;
        return sql;
    }

    /** Runs statements without parameters, one after the other. */
    void execute(String... statements) throws SQLException {
        java.util.List<String> all = new java.util.ArrayList<>(java.util.Arrays.asList(statements));
        if (prefix != null) {
            all.add(0, prefix);
            prefix = null;
        }
        // one Statement.execute of several statements is sent in one network round trip
        try (Statement statement = connection.createStatement()) {
            statement.execute(track(String.join(";\n", all)));
        }
    }

    /** Sends the pending prefix statement, if any, before a statement that cannot carry it. */
    void flushPrefix() throws SQLException {
        if (prefix != null) {
            execute();
        }
    }

    /** Runs an update with parameters; returns the affected row count. */
    long update(String sql, Object... parameters) throws SQLException {
        flushPrefix();
        try (PreparedStatement statement = connection.prepareStatement(track(sql))) {
            bind(statement, parameters);
            return statement.executeLargeUpdate();
        }
    }

    /** Runs a query with parameters and maps every row. */
    <T> List<T> query(String sql, RowMapper<T> mapper, Object... parameters) throws SQLException {
        flushPrefix();
        try (PreparedStatement statement = connection.prepareStatement(track(sql))) {
            bind(statement, parameters);
            try (ResultSet rs = statement.executeQuery()) {
                List<T> rows = new ArrayList<>();
                while (rs.next()) {
                    rows.add(mapper.map(rs));
                }
                return rows;
            }
        }
    }

    private static void bind(PreparedStatement statement, Object[] parameters) throws SQLException {
        for (int i = 0; i < parameters.length; i++) {
            statement.setObject(i + 1, parameters[i]);
        }
    }

    private static void rollback(Connection connection, Exception failure) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }
}
