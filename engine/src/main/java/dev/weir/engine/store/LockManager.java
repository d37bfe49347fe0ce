package dev.weir.engine.store;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * Serializes runs of one instance, across threads of this JVM and across processes (a file lock
 * for DuckDB, advisory locks for PostgreSQL). Blocking: call it from the blocking dispatcher.
 */
public interface LockManager {

    /**
     * Takes the named lock, waiting at most {@code timeout}.
     *
     * @param name    what is locked, e.g. the instance id, or instance id and stage
     * @param timeout how long to wait before failing
     * @param onWait  called once, on the calling thread, if the lock is held elsewhere and the
     *                caller starts to wait; gets a sentence saying who waits for what
     * @return the held lock; closing it releases it
     * @throws LockTimeoutException when the lock was not free within {@code timeout}
     */
    Lock acquire(String name, Duration timeout, Consumer<String> onWait) throws InterruptedException;

    /** A held lock. Closing releases it; closing twice is harmless. */
    interface Lock extends AutoCloseable {
        @Override
        void close();
    }

    /** The lock stayed taken for the whole timeout. */
    final class LockTimeoutException extends StoreException {
        public LockTimeoutException(String message) {
            super(message, null);
        }
    }
}
