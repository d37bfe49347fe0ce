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
 * being closed by idle timeouts on the way and logs a lost lock when it happens.
 */
final class PgAdvisoryLocks implements LockManager, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PgAdvisoryLocks.class);
    private static final long POLL_MILLIS = 50;
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
                    locked = true;
                    return held(name, key, connection);
                }
                if (!waiting) {
                    waiting = true;
                    onWait.accept("waiting for lock '" + name + "' in " + store
                            + ": another run holds it (waiting at most " + timeout + ")");
                }
                if (System.nanoTime() >= deadline) {
                    Duration waited = Duration.ofNanos(System.nanoTime() - start);
                    throw new LockTimeoutException(store + ": lock '" + name + "' stayed taken by another run for "
                            + waited.toMillis() + " ms (timeout " + timeout + "); advisory lock key " + key
                            + " — see pg_locks for the holding session");
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

    @Override
    public java.util.Optional<Lock> tryAcquire(String name) {
        long key = key(name);
        Connection connection = pool.connection();
        boolean locked = false;
        try {
            locked = tryLock(connection, key);
            return locked ? java.util.Optional.of(held(name, key, connection)) : java.util.Optional.empty();
        } catch (SQLException e) {
            throw PgErrors.failure(store, "cannot take lock '" + name + "'", "SELECT pg_try_advisory_lock(" + key + ")", e);
        } finally {
            if (!locked) {
                closeQuietly(connection);
            }
        }
    }

    @Override
    public String describe(String name) {
        return "lock '" + name + "' in " + store + " (advisory lock key " + key(name) + "; see pg_locks for the holder)";
    }

    /** A lock just taken on {@code connection}, with its keepalive running. */
    private Held held(String name, long key, Connection connection) {
        Held held = new Held(name, key, connection);
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
     * A taken lock and the session that holds it. The connection is used by one thread at a time
     * (the holder, or the keepalive): every use synchronizes on this object.
     */
    private final class Held implements Lock {
        private final String name;
        private final long key;
        private final Connection connection;
        private final AtomicBoolean released = new AtomicBoolean();
        /** Set once the server no longer grants the lock; it never comes back. */
        private volatile boolean lost;
        private volatile ScheduledFuture<?> keepalive;

        Held(String name, long key, Connection connection) {
            this.name = name;
            this.key = key;
            this.connection = connection;
        }

        @Override
        public synchronized boolean isHeld() {
            if (released.get() || lost) {
                return false;
            }
            try (PreparedStatement statement = connection.prepareStatement(GRANTED)) {
                statement.setLong(1, key);
                try (ResultSet rs = statement.executeQuery()) {
                    if (rs.next()) {
                        return true;
                    }
                }
                lost("the server no longer lists it as granted to the lock's session");
            } catch (SQLException e) {
                lost("its connection failed: " + e.getMessage().strip()
                        + (e.getSQLState() == null ? "" : " [SQLState " + e.getSQLState() + "]"));
            }
            return false;
        }

        private void lost(String why) {
            lost = true;
            LOG.warn("{} was lost: {}; another run may take it. The run holding it commits nothing more", this, why);
        }

        /** Runs on the keepalive thread. */
        private void keepAlive() {
            if (!isHeld()) {
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
            if (lost) {
                // The session is gone or no longer holds the lock: nothing to unlock.
                pool.evict(connection);
                closeQuietly(connection);
                return;
            }
            boolean unlocked = false;
            try (PreparedStatement statement = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
                statement.setLong(1, key);
                try (ResultSet rs = statement.executeQuery()) {
                    unlocked = rs.next() && rs.getBoolean(1);
                }
            } catch (SQLException e) {
                LOG.warn("{}: releasing lock '{}' failed ({}); dropping its connection, which releases it", store, name,
                        e.getMessage() == null ? e.toString() : e.getMessage().strip());
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
