package dev.weir.stores.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says who holds up a statement that waits for a lock. A stage's commit drops the tables it replaces, which
 * waits for every session reading them: a report or a psql session left idle in a transaction that read
 * one keeps the commit waiting up to {@code statement_timeout} (an hour by default), which looked like a
 * hang. While a watched statement runs, a check on a connection of its own asks the server, after
 * {@link #FIRST_CHECK} and then every {@link #LATER_CHECKS}, which sessions block it, and names each in
 * a warning.
 */
final class PgLockWaits {

    private static final Logger LOG = LoggerFactory.getLogger(PgLockWaits.class);
    static final Duration FIRST_CHECK = Duration.ofSeconds(5);
    static final Duration LATER_CHECKS = Duration.ofSeconds(30);
    private static final String BLOCKERS = "SELECT a.pid, a.usename, a.application_name, a.state, a.xact_start"
            + " FROM pg_catalog.pg_stat_activity a WHERE a.pid = ANY (pg_catalog.pg_blocking_pids(?)) ORDER BY a.pid";
    private static final ScheduledExecutorService CHECKS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "weir-pg-lock-waits");
        thread.setDaemon(true);
        return thread;
    });

    private PgLockWaits() {
    }

    /** A watch of one statement; closing it ends the checks. */
    interface Watch extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Watches the statements {@code t} runs until the watch is closed.
     *
     * @param what what waits, for the warning ("the commit of stage 'scored'")
     */
    static Watch watch(PgPool pool, Object store, PgTx t, String what) throws SQLException {
        int pid = t.connection().unwrap(org.postgresql.PGConnection.class).getBackendPID();
        ScheduledFuture<?> checks = CHECKS.scheduleWithFixedDelay(() -> report(pool, store, pid, what),
                FIRST_CHECK.toMillis(), LATER_CHECKS.toMillis(), TimeUnit.MILLISECONDS);
        return () -> checks.cancel(false);
    }

    private static void report(PgPool pool, Object store, int pid, String what) {
        List<String> blockers = new ArrayList<>();
        try (Connection connection = pool.directConnection("lock wait check");
             PreparedStatement statement = connection.prepareStatement(BLOCKERS)) {
            statement.setInt(1, pid);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    blockers.add("session " + rs.getInt(1) + " of user " + rs.getString(2) + " (application '"
                            + rs.getString(3) + "', " + rs.getString(4)
                            + (rs.getObject(5) == null ? "" : ", in a transaction since "
                            + rs.getObject(5, java.time.OffsetDateTime.class).toInstant()) + ")");
                }
            }
        } catch (SQLException | RuntimeException e) {
            LOG.debug("{}: cannot ask which sessions {} waits for", store, what, e);
            return;
        }
        if (!blockers.isEmpty()) {
            LOG.warn("{}: {} waits for a lock held by {}; it waits until they release it, or up to the store's"
                    + " statement_timeout", store, what, String.join(", ", blockers));
        }
    }
}
