package dev.weir.stores.postgres;

import dev.weir.engine.store.LockManager;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
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
 */
final class PgAdvisoryLocks implements LockManager {

    private static final Logger LOG = LoggerFactory.getLogger(PgAdvisoryLocks.class);
    private static final long POLL_MILLIS = 50;

    private final PgPool pool;
    private final Object store;

    PgAdvisoryLocks(PgPool pool, Object store) {
        this.pool = pool;
        this.store = store;
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
                    return new Held(name, key, connection);
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
            return locked ? java.util.Optional.of(new Held(name, key, connection)) : java.util.Optional.empty();
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

    /** A taken lock and the session that holds it. */
    private final class Held implements Lock {
        private final String name;
        private final long key;
        private final Connection connection;
        private final AtomicBoolean released = new AtomicBoolean();

        Held(String name, long key, Connection connection) {
            this.name = name;
            this.key = key;
            this.connection = connection;
        }

        @Override
        public void close() {
            if (!released.compareAndSet(false, true)) {
                return;
            }
            boolean unlocked = false;
            try (PreparedStatement statement = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
                statement.setLong(1, key);
                try (ResultSet rs = statement.executeQuery()) {
                    unlocked = rs.next() && rs.getBoolean(1);
                }
            } catch (SQLException e) {
                LOG.warn("{}: releasing lock '{}' failed; dropping its connection, which releases it", store, name, e);
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

    @Override
    public String toString() {
        return "advisory locks of " + store;
    }
}
