package dev.weir.stores.postgres;

import dev.weir.engine.store.LockManager;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Locks as PostgreSQL session-level advisory locks, so that runs are serialized across threads,
 * processes and machines that share the database. A lock name maps to a stable 64-bit key (FNV-1a
 * of its UTF-8 bytes); the lock lives on one pooled connection, held for as long as the lock is, and
 * released with {@code pg_advisory_unlock} before the connection goes back to the pool.
 *
 * <p>A held lock (and a waiting one) occupies one connection of the store's pool ({@code pool_size})
 * until it is closed.
 *
 * <p>Waiting polls {@code pg_try_advisory_lock} rather than blocking in {@code pg_advisory_lock}, so
 * that the timeout and thread interruption work without cancelling statements.
 *
 * <p>A session lock ends with its session: a terminated backend, a server restart or a dropped TCP
 * connection releases it silently, and another run can take it. So a held lock can say whether the
 * server still grants it ({@link Held#isHeld()} asks {@code pg_locks} on the lock's own connection), and
 * a keepalive asks the same every {@code lock_keepalive}, which keeps an idle lock connection from
 * being closed by idle timeouts on the way and notices a lost session early. A lock whose session ended
 * is taken again on a new session when no other run held it meanwhile: each acquirer counts a new
 * generation of the lock in {@code weir_metadata.locks}, so an unchanged generation proves it.
 */
final class PgAdvisoryLocks implements LockManager, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PgAdvisoryLocks.class);
    private static final long POLL_MILLIS = 50;
    /** Sessions tried when taking a lock again whose session ended; see {@code Held#retake}. */
    private static final int RETAKE_ATTEMPTS = 3;
    /** The advisory lock of a bigint key is (classid, objid) = (high, low 32 bits), objsubid 1. */
    private static final String GRANTED = "SELECT 1 FROM pg_catalog.pg_locks WHERE locktype = 'advisory'"
            + " AND pid = pg_backend_pid() AND granted AND objsubid = 1"
            + " AND ((classid::bigint << 32) | objid::bigint) = ?";

    private final PgPool pool;
    private final Object store;
    private final Duration keepalive;
    private final ScheduledExecutorService keepalives;

    /** @param keepalive how often a held lock's connection asks the server whether it still holds the lock */
    PgAdvisoryLocks(PgPool pool, Object store, Duration keepalive) {
        this.pool = pool;
        this.store = store;
        this.keepalive = keepalive;
        this.keepalives = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "weir-pg-lock-keepalive");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** The advisory lock key of {@code name}: FNV-1a 64 of "weir:" + name, the same in every JVM. */
    static long key(String name) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : ("weir:" + name).getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xff;
            hash *= 0x100000001b3L;
        }
        return hash;
    }

    @Override
    public Lock acquire(String name, Duration timeout, Consumer<String> onWait) throws InterruptedException {
        long key = key(name);
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        Connection connection = pool.connection();
        boolean locked = false;
        try {
            boolean waiting = false;
            while (true) {
                if (tryLock(connection, key)) {
                    Held held = held(name, key, connection);
                    locked = true;
                    return held;
                }
                if (!waiting) {
                    waiting = true;
                    onWait.accept("waiting for lock '" + name + "' in " + store
                            + ": another run holds it (waiting at most " + timeout + ")");
                }
                if (System.nanoTime() >= deadline) {
                    Duration waited = Duration.ofNanos(System.nanoTime() - start);
                    throw new LockTimeoutException(store + ": lock '" + name + "' stayed taken by another run"
                            + holder(connection, key) + " for " + waited.toMillis() + " ms (timeout " + timeout
                            + "); advisory lock key " + key + " — see pg_locks for the holding session");
                }
                Thread.sleep(POLL_MILLIS);
            }
        } catch (SQLException e) {
            throw PgErrors.failure(store, "cannot take lock '" + name + "'", "SELECT pg_try_advisory_lock(" + key + ")", e);
        } finally {
            if (!locked) {
                closeQuietly(connection);
            }
        }
    }

    /**
     * {@code " (held by session 123 of user u, application 'weir mini', client 10.0.0.5, since …)"} for the
     * session granted the advisory lock {@code key}, or empty when none is (or the server does not say).
     */
    private static String holder(Connection connection, long key) {
        String sql = "SELECT a.pid, a.usename, a.application_name, coalesce(a.client_hostname, host(a.client_addr)),"
                + " a.backend_start FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
                + " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
                + " AND ((l.classid::bigint << 32) | l.objid::bigint) = ?";
        try (java.sql.PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setLong(1, key);
            try (java.sql.ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    return "";
                }
                return " (held by session " + rs.getInt(1)
                        + (rs.getString(2) == null ? "" : " of user " + rs.getString(2))
                        + (rs.getString(3) == null || rs.getString(3).isEmpty() ? "" : ", application '"
                        + rs.getString(3) + "'")
                        + (rs.getString(4) == null ? "" : ", client " + rs.getString(4))
                        + (rs.getObject(5) == null ? "" : ", connected since "
                        + rs.getObject(5, java.time.OffsetDateTime.class).toInstant()) + ")";
            }
        } catch (SQLException e) {
            return ""; // only a hint for the message
        }
    }

    @Override
    public java.util.Optional<Lock> tryAcquire(String name) {
        long key = key(name);
        Connection connection = pool.connection();
        boolean locked = false;
        try {
            if (!tryLock(connection, key)) {
                return java.util.Optional.empty();
            }
            Held held = held(name, key, connection);
            locked = true;
            return java.util.Optional.of(held);
        } catch (SQLException e) {
            throw PgErrors.failure(store, "cannot take lock '" + name + "'", "SELECT pg_try_advisory_lock(" + key + ")", e);
        } finally {
            if (!locked) {
                closeQuietly(connection);
            }
        }
    }

    /** The session the server grants the lock to, from {@code pg_locks} and {@code pg_stat_activity}. */
    @Override
    public String holder(String name) {
        try (Connection connection = pool.connection()) {
            return holder(connection, key(name));
        } catch (SQLException | RuntimeException e) {
            return ""; // only a hint for a message
        }
    }

    @Override
    public String describe(String name) {
        return "lock '" + name + "' in " + store + " (advisory lock key " + key(name) + "; see pg_locks for the holder)";
    }

    /** A lock just taken on {@code connection}: its generation counted, its keepalive running. */
    private Held held(String name, long key, Connection connection) throws SQLException {
        long generation;
        try {
            generation = nextGeneration(connection, key, name);
        } catch (SQLException e) {
            try {
                unlock(connection, key);
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
                pool.evict(connection); // it may still hold the lock
            }
            throw e;
        }
        Held held = new Held(name, key, connection, generation);
        held.keepalive = keepalives.scheduleWithFixedDelay(held::keepAlive, keepalive.toMillis(), keepalive.toMillis(),
                TimeUnit.MILLISECONDS);
        return held;
    }

    private static boolean tryLock(Connection connection, long key) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
            statement.setLong(1, key);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.debug("closing a lock connection failed", e);
        }
    }

    /**
     * A taken lock, the session that holds it and its generation. The connection is used by one thread
     * at a time (the holder, or the keepalive): every use synchronizes on this object.
     *
     * <p>When the session ends (a terminated backend, a server restart), the lock is taken again on a
     * new session if it is free and its generation is still this holder's: every acquirer bumps the
     * generation while it holds the lock, so an unchanged generation proves that no other run held it
     * in between, and nothing it guards was touched. Otherwise the lock is lost for good.
     */
    private final class Held implements Lock {
        private final String name;
        private final long key;
        private final long generation;
        /** The session holding the lock; null while the server cannot be reached to take it again. */
        private Connection connection;
        private final AtomicBoolean released = new AtomicBoolean();
        /** Set once another run may have held the lock; it never comes back. */
        private volatile boolean lost;
        private volatile ScheduledFuture<?> keepalive;

        Held(String name, long key, Connection connection, long generation) {
            this.name = name;
            this.key = key;
            this.connection = connection;
            this.generation = generation;
        }

        @Override
        public synchronized boolean isHeld() {
            if (released.get() || lost) {
                return false;
            }
            if (connection != null) {
                try (PreparedStatement statement = connection.prepareStatement(GRANTED)) {
                    statement.setLong(1, key);
                    try (ResultSet rs = statement.executeQuery()) {
                        if (rs.next()) {
                            return true;
                        }
                    }
                    LOG.warn("{}: the server no longer grants it to its session; taking it again", this);
                } catch (SQLException e) {
                    LOG.warn("{}: its session failed ({}); taking it again on a new one", this, describe(e));
                }
                pool.evict(connection);
                closeQuietly(connection);
                connection = null;
            }
            return retake();
        }

        /**
         * Takes the lock on a new session if no other run has held it since; false otherwise. What ended
         * the lock's session (a terminated backend, a restart) may have ended idle pooled sessions too, and
         * the pool hands out a session used in the last half second without checking it: a transient
         * failure takes another session, up to {@code RETAKE_ATTEMPTS} in all.
         */
        private boolean retake() {
            for (int attempt = 1; ; attempt++) {
                Boolean taken = retakeOnce(attempt < RETAKE_ATTEMPTS);
                if (taken != null) {
                    return taken;
                }
            }
        }

        /** One attempt of {@link #retake()}; null when it failed transiently and {@code mayRetry}. */
        private Boolean retakeOnce(boolean mayRetry) {
            Connection fresh;
            try {
                fresh = pool.connection();
            } catch (RuntimeException e) {
                LOG.warn("{}: cannot reach the server to take it again: {}", this, e.getMessage());
                return false; // not known to be lost: a later check may take it again
            }
            try {
                if (!tryLock(fresh, key)) {
                    closeQuietly(fresh);
                    return lost("another session holds it now");
                }
                long now = currentGeneration(fresh, key);
                if (now != generation) {
                    unlock(fresh, key);
                    closeQuietly(fresh);
                    return lost("another run held it meanwhile (generation " + generation + " became " + now + ")");
                }
                connection = fresh;
                LOG.warn("{}: taken again on a new session; no other run held it meanwhile", this);
                return true;
            } catch (SQLException e) {
                pool.evict(fresh);
                closeQuietly(fresh);
                if (mayRetry && PgErrors.isTransient(e)) {
                    LOG.debug("{}: a session failed taking it again ({}); trying another", this, describe(e));
                    return null;
                }
                LOG.warn("{}: cannot take it again: {}", this, describe(e));
                return false;
            }
        }

        private boolean lost(String why) {
            lost = true;
            LOG.warn("{} was lost: {}. The run that held it commits nothing more", this, why);
            return false;
        }

        /** Runs on the keepalive thread. */
        private void keepAlive() {
            if (!isHeld() && lost) {
                ScheduledFuture<?> future = keepalive;
                if (future != null) {
                    future.cancel(false);
                }
            }
        }

        @Override
        public synchronized void close() {
            if (!released.compareAndSet(false, true)) {
                return;
            }
            ScheduledFuture<?> future = keepalive;
            if (future != null) {
                future.cancel(false);
            }
            if (connection == null) {
                return; // the session is gone, and the lock with it
            }
            boolean unlocked = false;
            try {
                unlocked = unlock(connection, key);
            } catch (SQLException e) {
                LOG.warn("{}: releasing it failed ({}); dropping its connection, which releases it", this, describe(e));
            }
            if (!unlocked) {
                // A session that may still hold the lock must not go back to the pool.
                pool.evict(connection);
            }
            closeQuietly(connection);
        }

        @Override
        public String toString() {
            return "advisory lock '" + name + "' (key " + key + ") in " + store;
        }
    }

    private static String describe(SQLException e) {
        return (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip())
                + (e.getSQLState() == null ? "" : " [SQLState " + e.getSQLState() + "]");
    }

    private static boolean unlock(Connection connection, long key) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
            statement.setLong(1, key);
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** Counts one more holder of the lock {@code key}; call it holding the lock. Returns the new generation. */
    private static long nextGeneration(Connection connection, long key, String name) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("INSERT INTO " + PgMetadata.LOCKS
                + " AS l (lock_key, lock_name, generation) VALUES (?, ?, 1) ON CONFLICT (lock_key)"
                + " DO UPDATE SET generation = l.generation + 1, lock_name = EXCLUDED.lock_name RETURNING generation")) {
            statement.setLong(1, key);
            statement.setString(2, name);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static long currentGeneration(Connection connection, long key) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT generation FROM " + PgMetadata.LOCKS + " WHERE lock_key = ?")) {
            statement.setLong(1, key);
            try (ResultSet rs = statement.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    /** Stops the keepalives; held locks stay held until closed. */
    @Override
    public void close() {
        keepalives.shutdownNow();
    }

    @Override
    public String toString() {
        return "advisory locks of " + store;
    }
}
