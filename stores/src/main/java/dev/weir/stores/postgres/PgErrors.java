package dev.weir.stores.postgres;

import dev.weir.engine.store.StoreException;
import java.sql.SQLException;
import java.util.Set;

/**
 * Turns JDBC failures into {@link StoreException}s and decides which of them a retry may cure.
 *
 * <p>Transient: connection failures (SQLState class {@code 08}), serialization failures
 * ({@code 40001}), deadlocks ({@code 40P01}), administrator shutdown, crash shutdown and "cannot
 * connect now" ({@code 57P01..57P03}) and too many connections ({@code 53300}). Everything else
 * (syntax {@code 42...}, constraint violations {@code 23...}, a statement cancelled by its timeout
 * {@code 57014}, a pool that stayed exhausted, ...) is permanent. Every exception in the cause chain
 * counts, and each one's chain of next exceptions.
 */
final class PgErrors {

    private static final Set<String> TRANSIENT_STATES = Set.of("40001", "40P01", "57P01", "57P02", "57P03", "53300");

    private PgErrors() {
    }

    /** True when the SQLState says the same statement may succeed later. */
    static boolean isTransientState(String sqlState) {
        return sqlState != null && (sqlState.startsWith("08") || TRANSIENT_STATES.contains(sqlState));
    }

    /** True when {@code e} or any exception it wraps is transient. */
    static boolean isTransient(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                // By SQLState only: HikariCP's pool timeout is an SQLTransientException too, but when the
                // server is up it means the pool is too small for the work, which a retry cannot cure.
                if (isTransientState(sql.getSQLState())) {
                    return true;
                }
                for (SQLException next = sql.getNextException(); next != null; next = next.getNextException()) {
                    if (isTransientState(next.getSQLState())) {
                        return true;
                    }
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /**
     * A store exception for a failed statement.
     *
     * @param where the store (its {@code toString} is safe to print)
     * @param what  what Weir was doing, e.g. "cannot create table raw.orders"
     * @param sql   the statement, or null
     */
    static StoreException failure(Object where, String what, String sql, Throwable e) {
        String state = sqlState(e);
        String message = where + ": " + what + ": " + firstLine(e) + (state == null ? "" : " [SQLState " + state + "]");
        if ("57014".equals(state)) {
            message += "; the statement ran past statement_timeout or was cancelled (raise statement_timeout of the"
                    + " instance, or of the connection's args, if it needs longer)";
        }
        return new StoreException(message, sql, isTransient(e), e);
    }

    static String sqlState(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    private static String firstLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.strip();
    }
}
