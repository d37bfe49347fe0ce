package dev.weir.stores.duckdb;

import dev.weir.engine.store.StoreException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
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
 *
 * <p>The file is opened late, when a run takes its lock ({@link #open(Duration, Consumer)}), and only
 * once this process holds the file's {@link DatabaseFileLock}: DuckDB refuses a second process at
 * once, and the lock file makes that process wait instead. The database stays open, and the lock
 * held, until {@link #close()}.
 */
final class DuckDbDatabase implements AutoCloseable {

    /** Work on one connection; may throw {@link SQLException}, which is translated. */
    @FunctionalInterface
    interface Work<T> {
        T run(DuckDBConnection connection) throws SQLException;
    }

    private final DuckDbConfig config;
    private final String storeName;
    /** Guards {@link #root}, {@link #fileLock} and {@link #afterOpen}; held while the database opens. */
    private final java.util.concurrent.locks.ReentrantLock opening = new java.util.concurrent.locks.ReentrantLock();
    private final List<Runnable> afterOpen = new ArrayList<>();
    private volatile DuckDBConnection root;
    private DatabaseFileLock.Held fileLock;
    private boolean closed;

    private DuckDbDatabase(DuckDbConfig config, String storeName) {
        this.config = config;
        this.storeName = storeName;
    }

    /**
     * The database of {@code config}, not opened yet: it opens when a run takes its lock
     * ({@link #open(Duration, Consumer)}, {@link #tryOpen()}), or on first use.
     */
    static DuckDbDatabase of(DuckDbConfig config, String storeName) {
        return new DuckDbDatabase(config, storeName);
    }

    /**
     * Opens the database unless it is open: takes this process's share of the database file's lock
     * ({@link DatabaseFileLock}), waiting while another process holds the file, then opens the file.
     * A process that is not Weir (a {@code duckdb} shell, say) holding the file is waited for too.
     *
     * @param onWait called at most once, on this thread, with a sentence saying what it waits for
     * @throws dev.weir.engine.store.LockManager.LockTimeoutException when the file stayed held for {@code timeout}
     */
    void open(Duration timeout, Consumer<String> onWait) throws InterruptedException {
        if (root != null) {
            return;
        }
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        boolean[] told = {false};
        Consumer<String> once = message -> {
            if (!told[0]) {
                told[0] = true;
                onWait.accept(message);
            }
        };
        if (!opening.tryLock(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)) {
            throw new dev.weir.engine.store.LockManager.LockTimeoutException(storeName + ": DuckDB database "
                    + config.describeLocation() + " was still being opened by another run of this process after "
                    + timeout);
        }
        try {
            if (root != null) {
                return;
            }
            DatabaseFileLock.Held held = null;
            if (config.databaseFile().isPresent()) {
                Path file = config.databaseFile().get();
                held = DatabaseFileLock.acquire(file, storeName, deadline, timeout, () -> once.accept(
                        "waiting for DuckDB database " + file + " (lock file " + DatabaseFileLock.lockFileOf(file)
                                + ") of " + storeName + ": another Weir process has it open (waiting at most "
                                + timeout + ")"));
            }
            try {
                while (true) {
                    try {
                        connect(held);
                        return;
                    } catch (StoreException e) {
                        if (!isFileLocked(e) || System.nanoTime() >= deadline) {
                            throw e;
                        }
                        once.accept("waiting for DuckDB database " + config.describeLocation() + " of " + storeName
                                + ": a process that is not a Weir run (a duckdb shell?) has the file open"
                                + " (waiting at most " + timeout + ")");
                        Thread.sleep(Math.max(1, Math.min(100, (deadline - System.nanoTime()) / 1_000_000)));
                    }
                }
            } catch (RuntimeException | InterruptedException e) {
                if (held != null) {
                    held.close();
                }
                throw e;
            }
        } finally {
            opening.unlock();
        }
    }

    /** Whether this process has the database open. */
    boolean isOpen() {
        return root != null;
    }

    /**
     * Opens the database if no other process holds its file, without waiting; false when one does.
     * Returns true at once when the database is open.
     */
    boolean tryOpen() {
        if (root != null) {
            return true;
        }
        if (!opening.tryLock()) {
            return false;
        }
        try {
            if (root != null) {
                return true;
            }
            DatabaseFileLock.Held held = null;
            if (config.databaseFile().isPresent()) {
                var taken = DatabaseFileLock.tryAcquire(config.databaseFile().get(), storeName);
                if (taken.isEmpty()) {
                    return false;
                }
                held = taken.get();
            }
            try {
                connect(held);
                return true;
            } catch (StoreException e) {
                if (held != null) {
                    held.close();
                }
                if (isFileLocked(e)) {
                    return false;
                }
                throw e;
            } catch (RuntimeException e) {
                if (held != null) {
                    held.close();
                }
                throw e;
            }
        } finally {
            opening.unlock();
        }
    }

    /**
     * Runs {@code work} once the database is open: now if it is, else right after it opens (a store's
     * {@code init}, which the engine calls before taking the run's lock).
     */
    void afterOpen(Runnable work) {
        opening.lock();
        try {
            if (root != null) {
                work.run();
            } else {
                afterOpen.add(work);
            }
        } finally {
            opening.unlock();
        }
    }

    /** Under {@link #opening}, holding the file lock (or for {@code :memory:}): opens, then runs the pending work. */
    private void connect(DatabaseFileLock.Held held) {
        if (closed) {
            throw StoreException.of(storeName + ": DuckDB database " + config.describeLocation() + " is closed");
        }
        DuckDBConnection connection = openConnection(config, storeName);
        root = connection;
        fileLock = held;
        try {
            for (Runnable work : afterOpen) {
                work.run();
            }
            afterOpen.clear();
        } catch (RuntimeException e) {
            root = null;
            fileLock = null;
            try {
                connection.close();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static boolean isFileLocked(StoreException e) {
        return e.getCause() instanceof SQLException cause && cause.getMessage() != null
                && cause.getMessage().contains("Could not set lock on file");
    }

    private static DuckDBConnection openConnection(DuckDbConfig config, String storeName) {
        try {
            if (config.databaseFile().isPresent()) {
                Files.createDirectories(config.databaseFile().get().getParent());
            }
            var connection = DriverManager.getConnection(config.jdbcUrl(), config.jdbcProperties());
            return connection.unwrap(DuckDBConnection.class);
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

    /** The open root connection; opens the database on first use, failing at once if another process holds it. */
    private DuckDBConnection root() {
        DuckDBConnection open = root;
        if (open != null) {
            return open;
        }
        if (!tryOpen()) {
            throw new dev.weir.engine.store.LockManager.LockTimeoutException(storeName + ": DuckDB database "
                    + config.describeLocation() + " is open in another process (lock file "
                    + config.databaseFile().map(DatabaseFileLock::lockFileOf).map(Path::toString).orElse("none")
                    + "); a run waits for it when it takes the instance lock");
        }
        return root;
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
            return root().duplicate();
        } catch (SQLException e) {
            throw error("cannot open a connection", null, e);
        }
    }

    /** Executes one statement (or a script), translating a failure into an error carrying it. */
    void execute(DuckDBConnection connection, String what, String sql) {
        try (Statement statement = bounded(connection.createStatement())) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw error(what, sql, e);
        }
    }

    /** Executes a statement with string parameters and returns the update count. */
    long update(DuckDBConnection connection, String what, String sql, Object... parameters) {
        try (PreparedStatement statement = bounded(connection.prepareStatement(sql))) {
            bind(statement, parameters);
            return statement.executeLargeUpdate();
        } catch (SQLException e) {
            throw error(what, sql, e);
        }
    }

    /** The first column of every row of a query with parameters, as strings. */
    List<String> strings(DuckDBConnection connection, String what, String sql, Object... parameters) {
        try (PreparedStatement statement = bounded(connection.prepareStatement(sql))) {
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

    /**
     * {@code statement} with the store's {@code statement_timeout} as its JDBC query timeout: DuckDB's
     * driver interrupts the query when it runs longer, and the statement fails with DuckDB's
     * "Interrupted" error.
     */
    <S extends Statement> S bounded(S statement) throws SQLException {
        statement.setQueryTimeout((int) Math.min(Integer.MAX_VALUE, config.statementTimeout().toSeconds()));
        return statement;
    }

    private static void bind(PreparedStatement statement, Object... parameters) throws SQLException {
        for (int i = 0; i < parameters.length; i++) {
            statement.setObject(i + 1, parameters[i]);
        }
    }

    /** The error for a failed statement: the store, what failed, DuckDB's message, the SQL. */
    StoreException error(String what, String sql, SQLException cause) {
        String interrupted = String.valueOf(cause.getMessage()).contains("Interrupted")
                ? "; the statement ran past statement_timeout (" + config.statementTimeout().toSeconds() + " s) or was"
                + " interrupted (raise statement_timeout of the instance, or of the connection's args, if it needs"
                + " longer)" : "";
        return new StoreException(storeName + ": " + what + ": " + firstLine(cause) + interrupted, sql,
                isTransient(cause), cause);
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

    /** Closes the database, if it was opened, and gives back this store's share of the file's lock. */
    @Override
    public void close() {
        opening.lock();
        try {
            closed = true;
            DuckDBConnection open = root;
            root = null;
            try {
                if (open != null) {
                    open.close();
                }
            } catch (SQLException e) {
                throw error("cannot close database " + config.describeLocation(), null, e);
            } finally {
                if (fileLock != null) {
                    fileLock.close();
                    fileLock = null;
                }
            }
        } finally {
            opening.unlock();
        }
    }
}
