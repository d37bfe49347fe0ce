package dev.weir.engine.store;

import java.util.Objects;

/**
 * How many store connections a run may hold at once, worked out from its plan before it starts, so
 * that a store with a bounded pool can size it (or refuse the run) instead of deadlocking on its own
 * connections: a task streaming an {@code ArrowReader} input into its output holds the reader's
 * connection while it waits for a second one to write.
 *
 * <p>HikariCP's rule for a pool that cannot deadlock: with {@code T} threads each holding at most
 * {@code C} connections at once, {@code T × (C − 1) + 1} connections suffice, since one thread can
 * then always get its last connection, finish, and free the others. Threads that differ add up:
 * {@link #connections()} is the sum of {@code C − 1} over the threads that may run at once, plus one.
 * A store adds what it holds itself (PostgreSQL: the instance lock's session).
 *
 * @param connections the connections the run's tasks need at most at once, by HikariCP's rule
 * @param holders     the task threads that may hold connections at once
 * @param parallelism the tasks that may run at once ({@code orchestration.max_parallelism}, 1 when sequential)
 * @param example     the task that holds the most connections at once, and why, for messages
 */
public record ConnectionDemand(int connections, int holders, int parallelism, String example) {

    /** A run whose tasks hold one connection at a time. */
    public static final ConnectionDemand ONE_AT_A_TIME = new ConnectionDemand(1, 1, 1, "every task holds one");

    public ConnectionDemand {
        Objects.requireNonNull(example, "example is null");
        if (connections < 1 || holders < 1 || parallelism < 1) {
            throw new IllegalArgumentException("connections, holders and parallelism must be at least 1, were "
                    + connections + ", " + holders + ", " + parallelism);
        }
    }
}
