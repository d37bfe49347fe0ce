package dev.weir.engine.store;

/**
 * A failure inside a table store. {@link #isTransient()} tells the run's supervisor whether a retry
 * may succeed (lost connection, serialization failure, admin shutdown) or the task must fail at
 * once (syntax error, constraint violation). The message names the store and, where there is one,
 * carries the SQL statement; it never carries a secret.
 */
public class StoreException extends RuntimeException {

    private final boolean transientFailure;
    private final String sql;

    /**
     * A failure wrapping {@code cause}: transient when the first store exception in the cause's chain
     * is, so that wrapping a lost connection (say, reading a stream whose server went away) keeps it
     * retryable.
     */
    public StoreException(String message, Throwable cause) {
        this(message, null, transientCause(cause), cause);
    }

    public StoreException(String message, String sql, boolean transientFailure, Throwable cause) {
        super(sql == null ? message : message + "\n  SQL: " + sql, cause);
        this.sql = sql;
        this.transientFailure = transientFailure;
    }

    public static StoreException of(String message) {
        return new StoreException(message, null, false, null);
    }

    /** True when the same operation may succeed if retried (after a backoff). */
    public boolean isTransient() {
        return transientFailure;
    }

    private static boolean transientCause(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof StoreException se) {
                return se.isTransient();
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /** The statement that failed, or null. */
    public String sql() {
        return sql;
    }
}
