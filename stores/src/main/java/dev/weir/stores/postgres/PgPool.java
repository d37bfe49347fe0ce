package dev.weir.stores.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.pool.HikariPool;
import dev.weir.engine.store.ConnectionDemand;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.StoreSettings;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Map;

/**
 * The HikariCP pool of one store. Opening it connects once, so that a wrong password, an
 * unreachable server or a missing database fails at once with one message saying what to check,
 * instead of at the first task.
 */
final class PgPool implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PgPool.class);
    /**
     * How long taking a connection waits when none is free, or while the server cannot be reached (a
     * restart): HikariCP keeps trying to connect meanwhile, so a server back within it costs no retry.
     */
    static final java.time.Duration DEFAULT_CONNECTION_TIMEOUT = java.time.Duration.ofSeconds(30);

    private final StoreSettings store;
    private final PgConnectionSettings connection;
    private final HikariDataSource dataSource;

    private PgPool(StoreSettings store, PgConnectionSettings connection, HikariDataSource dataSource) {
        this.store = store;
        this.connection = connection;
        this.dataSource = dataSource;
    }

    static PgPool open(StoreSettings store, PgConnectionSettings connection) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("weir-pg-" + store.instanceName() + "-" + store.connectionName());
        config.setJdbcUrl(connection.jdbcUrl());
        config.setUsername(connection.user());
        if (connection.password() != null) {
            config.setPassword(connection.password());
        }
        config.setMaximumPoolSize(connection.poolSize());
        config.setMinimumIdle(1);
        config.setConnectionTimeout(connectionTimeout(store).toMillis());
        // Fail in the constructor when the first connection cannot be made.
        config.setInitializationFailTimeout(1);
        config.addDataSourceProperty("ApplicationName", "weir " + store.instanceName());
        config.addDataSourceProperty("connectTimeout", "10");
        // A server that vanished without closing the TCP connection is noticed by the operating system.
        config.addDataSourceProperty("tcpKeepAlive", "true");
        for (Map.Entry<String, String> property : connection.properties().entrySet()) {
            config.addDataSourceProperty(property.getKey(), property.getValue());
        }
        // Every session starts with the store's statement_timeout: the server cancels a statement
        // running longer (SQLState 57014), so no JDBC call of a run waits forever.
        // A session whose client vanished must not hold locks or an open transaction (an append's ledger
        // claim) for long: a transaction left idle ends after idle_in_transaction_session_timeout, and the
        // server probes a silent client (a worker node cut off without a TCP reset) every 10 s after 60 s of
        // quiet, ending the session after six unanswered probes.
        String options = connection.properties().getOrDefault("options", "");
        config.addDataSourceProperty("options", (options.isBlank() ? "" : options + " ")
                + "-c statement_timeout=" + statementTimeoutMillis(store)
                + " -c idle_in_transaction_session_timeout=" + millis(store, "idle_in_transaction_session_timeout",
                        java.time.Duration.ofMinutes(30))
                + " -c tcp_keepalives_idle=60 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=6");
        try {
            return new PgPool(store, connection, new HikariDataSource(config));
        } catch (HikariPool.PoolInitializationException e) {
            throw connectFailure(store, connection, e.getCause() == null ? e : e.getCause());
        } catch (RuntimeException e) {
            throw connectFailure(store, connection, e);
        }
    }

    private static java.time.Duration connectionTimeout(StoreSettings store) {
        java.time.Duration timeout = PgConnectionSettings.duration(store, "connection_timeout", DEFAULT_CONNECTION_TIMEOUT);
        if (timeout.toMillis() < 250) {
            throw StoreException.of(store + ": key 'connection_timeout' must be at least 250ms (HikariCP's least),"
                    + " was " + timeout);
        }
        return timeout;
    }

    /** The store's {@code statement_timeout} in milliseconds: its argument, else one hour as in reference.conf. */
    static long statementTimeoutMillis(StoreSettings store) {
        return millis(store, "statement_timeout", java.time.Duration.ofHours(1));
    }

    /** The positive duration of store argument {@code key}, in milliseconds, or {@code otherwise}. */
    private static long millis(StoreSettings store, String key, java.time.Duration otherwise) {
        if (!store.args().hasPath(key)) {
            return otherwise.toMillis();
        }
        try {
            long millis = store.args().getDuration(key).toMillis();
            if (millis < 1) {
                throw StoreException.of(store + ": key '" + key + "' must be a duration above zero, was "
                        + store.args().getValue(key).unwrapped());
            }
            return millis;
        } catch (com.typesafe.config.ConfigException e) {
            throw StoreException.of(store + ": key '" + key + "' must be a duration such as '30 minutes', was "
                    + store.args().getValue(key).unwrapped());
        }
    }

    /** A connection from the pool; the caller closes it (which returns it). */
    Connection connection() {
        try {
            return dataSource.getConnection();
        } catch (SQLException e) {
            if (e instanceof SQLTransientConnectionException && e.getSQLState() == null) {
                throw exhausted(e);
            }
            throw PgErrors.failure(store, "cannot get a connection to " + connection.address(), null, e);
        }
    }

    /**
     * The pool had no free connection for the whole connection timeout while the server was reachable:
     * every connection is held by this engine's own work (open readers, writes, the instance lock), so
     * waiting longer or retrying would stall the same way.
     */
    private StoreException exhausted(SQLException e) {
        HikariPoolMXBean state = dataSource.getHikariPoolMXBean();
        String counts = state == null ? "" : " (" + state.getActiveConnections() + " in use, "
                + state.getIdleConnections() + " idle, " + state.getThreadsAwaitingConnection() + " waiting)";
        return new StoreException(store + ": no free connection to " + connection.address() + " within "
                + dataSource.getConnectionTimeout() + " ms: all " + dataSource.getMaximumPoolSize()
                + " connections of the pool" + counts + " are held by this run's own work. Raise key 'pool_size'"
                + " of the table store, or lower orchestration.max_parallelism (and a batched task's"
                + " computeParallelism)", null, false, e);
    }

    /**
     * Makes room for a run that may hold {@code demand} connections at once, plus the instance lock's:
     * grows the pool when its size is not fixed by {@code pool_size}, else refuses the run, naming the
     * keys to change, since it could stall on its own connections until the pool's timeout.
     */
    synchronized void reserve(ConnectionDemand demand) {
        int needed = demand.connections() + 1;
        int size = dataSource.getMaximumPoolSize();
        if (needed <= size) {
            return;
        }
        if (connection.poolSizeFixed()) {
            throw StoreException.of(store + ": key 'pool_size' = " + size + " is too small for this run: up to "
                    + demand.holders() + " task threads at once (orchestration.max_parallelism = "
                    + demand.parallelism() + ") may each hold more than one connection; " + demand.example()
                    + ". HikariCP's rule gives " + demand.connections() + " connections for the tasks, plus 1 for"
                    + " the instance lock: " + needed + ". Raise 'pool_size' to at least " + needed
                    + " (or remove it: the pool then grows to what each run needs), or lower"
                    + " orchestration.max_parallelism (a batched task: computeParallelism), or read such inputs"
                    + " as ArrowTable instead of ArrowReader");
        }
        LOG.debug("{}: pool grows from {} to {} connections for a run ({})", store, size, needed, demand.example());
        dataSource.getHikariConfigMXBean().setMaximumPoolSize(needed);
    }

    /**
     * A connection outside the pool, with the pool's settings (server, user, session options such as the
     * statement timeout), its application name ending in {@code purpose}; the caller closes it. For work
     * that must not take the connections the pool keeps for a run's tasks.
     */
    Connection directConnection(String purpose) throws SQLException {
        java.util.Properties properties = new java.util.Properties();
        properties.putAll(dataSource.getDataSourceProperties());
        properties.setProperty("user", dataSource.getUsername());
        if (dataSource.getPassword() != null) {
            properties.setProperty("password", dataSource.getPassword());
        }
        properties.setProperty("ApplicationName", properties.getProperty("ApplicationName", "weir") + " " + purpose);
        Connection direct = new org.postgresql.Driver().connect(dataSource.getJdbcUrl(), properties);
        if (direct == null) {
            throw new SQLException("the PostgreSQL driver does not accept the pool's URL");
        }
        return direct;
    }

    /** Closes {@code broken} for good instead of returning it to the pool. */
    void evict(Connection broken) {
        dataSource.evictConnection(broken);
    }

    PgConnectionSettings settings() {
        return connection;
    }

    @Override
    public void close() {
        dataSource.close();
    }

    private static StoreException connectFailure(StoreSettings store, PgConnectionSettings connection, Throwable e) {
        String state = PgErrors.sqlState(e);
        String check;
        if ("28P01".equals(state) || "28000".equals(state)) {
            check = "check the user and password (keys 'user'/'password' or the url, else PGUSER/PGPASSWORD)"
                    + " and pg_hba.conf";
        } else if ("3D000".equals(state)) {
            check = "the database does not exist: create it (CREATE DATABASE \"" + connection.database()
                    + "\") or fix key 'database' / the url / PGDATABASE";
        } else if (state != null && state.startsWith("08")) {
            check = "check that the server runs and accepts TCP connections at this host and port"
                    + " (keys 'host'/'port' or the url, else PGHOST/PGPORT)";
        } else {
            check = "check the connection settings";
        }
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
        if (connection.password() != null && !connection.password().isEmpty()) {
            reason = reason.replace(connection.password(), "***");
        }
        String message = store + ": cannot connect to PostgreSQL at " + connection.address() + " as user '"
                + connection.user() + "': " + reason + (state == null ? "" : " [SQLState " + state + "]")
                + ". " + Character.toUpperCase(check.charAt(0)) + check.substring(1) + ".";
        return new StoreException(message, null, PgErrors.isTransient(e), e);
    }
}
