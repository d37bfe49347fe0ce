package dev.weir.stores.duckdb;

import dev.weir.engine.store.StoreException;
import java.nio.file.Files;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.duckdb.DuckDBConnection;

/**
 * One open DuckDB database and the connections to it.
 *
 * <p>DuckDB allows one database per file per process, and its JDBC driver shares that database
 * between every connection opened on the file with the same options. This class holds one root
 * connection and gives each call its own {@link DuckDBConnection#duplicate() duplicate}: a
 * duplicate is cheap, has its own transaction, and is safe to use from another thread than the
 * root. Every failure becomes a {@link StoreException} naming the store, what was being done and
 * the SQL.
 */
final class DuckDbDatabase implements AutoCloseable {

    /** Work on one connection; may throw {@link SQLException}, which is translated. */
    @FunctionalInterface
    interface Work<T> {
        T run(DuckDBConnection connection) throws SQLException;
    }

    private final DuckDbConfig config;
    private final String storeName;
    private final DuckDBConnection root;

    private DuckDbDatabase(DuckDbConfig config, String storeName, DuckDBConnection root) {
        this.config = config;
        this.storeName = storeName;
        this.root = root;
    }

    static DuckDbDatabase open(DuckDbConfig config, String storeName) {
        try {
            if (config.databaseFile().isPresent()) {
                Files.createDirectories(config.databaseFile().get().getParent());
            }
            var connection = DriverManager.getConnection(config.jdbcUrl(), config.jdbcProperties());
            return new DuckDbDatabase(config, storeName, connection.unwrap(DuckDBConnection.class));
        } catch (SQLException e) {
            throw new StoreException("Cannot open DuckDB database " + config.describeLocation() + " for "
                    + storeName + ": " + firstLine(e) + (e.getMessage() != null
                    && e.getMessage().contains("different configuration")
                    ? " (another store in this JVM opened the file with other threads/memory_limit;"
                            + " give both the same settings)" : ""),
                    null, isTransient(e), e);
        } catch (java.io.IOException e) {
            throw new StoreException("Cannot create the directory of DuckDB database "
                    + config.describeLocation() + " for " + storeName, e);
        }
    }

    DuckDbConfig config() {
        return config;
    }

    String storeName() {
        return storeName;
    }

    /** Runs {@code work} on a fresh duplicate connection in auto-commit mode, then closes it. */
    <T> T withConnection(String what, Work<T> work) {
        try (DuckDBConnection connection = duplicate()) {
            return work.run(connection);
        } catch (SQLException e) {
            throw error(what, null, e);
        }
    }

    /**
     * Runs {@code work} in one transaction on a fresh duplicate connection: committed when it
     * returns, rolled back when it throws.
     */
    <T> T inTransaction(String what, Work<T> work) {
        try (DuckDBConnection connection = duplicate()) {
            connection.setAutoCommit(false);
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(connection, e);
                throw e;
            }
        } catch (SQLException e) {
            throw error(what, null, e);
        }
    }

    /** A new duplicate connection; the caller closes it. */
    DuckDBConnection duplicate() {
        try {
            return root.duplicate();
        } catch (SQLException e) {
            throw error("cannot open a connection", null, e);
        }
    }

    /** Executes one statement (or a script), translating a failure into an error carrying it. */
    void execute(DuckDBConnection connection, String what, String sql) {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw error(what, sql, e);
        }
    }

    /** Executes a statement with string parameters and returns the update count. */
    long update(DuckDBConnection connection, String what, String sql, Object... parameters) {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            bind(statement, parameters);
            return statement.executeLargeUpdate();
        } catch (SQLException e) {
            throw error(what, sql, e);
        }
    }

    /** The first column of every row of a query with parameters, as strings. */
    List<String> strings(DuckDBConnection connection, String what, String sql, Object... parameters) {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            bind(statement, parameters);
            List<String> values = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    values.add(rows.getString(1));
                }
            }
            return values;
        } catch (SQLException e) {
            throw error(what, sql, e);
        }
    }

    private static void bind(PreparedStatement statement, Object... parameters) throws SQLException {
        for (int i = 0; i < parameters.length; i++) {
            statement.setObject(i + 1, parameters[i]);
        }
    }

    /** The error for a failed statement: the store, what failed, DuckDB's message, the SQL. */
    StoreException error(String what, String sql, SQLException cause) {
        return new StoreException(storeName + ": " + what + ": " + firstLine(cause), sql, isTransient(cause),
                cause);
    }

    /**
     * DuckDB reports write-write conflicts between concurrent transactions ("TransactionContext
     * Error: Conflict on ...") and a database file locked by another process; both can succeed
     * when retried. Everything else (syntax, catalog, constraints) fails the same way again.
     */
    static boolean isTransient(SQLException e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        return (message.contains("TransactionContext Error") && message.contains("onflict"))
                || message.contains("Could not set lock on file");
    }

    private static String firstLine(SQLException e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    private static void rollbackQuietly(DuckDBConnection connection, Exception failure) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }

    @Override
    public void close() {
        try {
            root.close();
        } catch (SQLException e) {
            throw error("cannot close database " + config.describeLocation(), null, e);
        }
    }
}
