package dev.weir.engine.store;

import java.time.Duration;
import java.util.Optional;
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

    /**
     * Takes the named lock if it is free now, without waiting for it: one store round trip at most
     * (PostgreSQL {@code pg_try_advisory_lock}, a file's {@code tryLock}). A caller that must wait
     * polls this from a timer, so that a queued run holds no thread while it waits.
     *
     * @param name what is locked, as for {@link #acquire}
     * @return the held lock, or empty when another run holds it
     */
    Optional<Lock> tryAcquire(String name);

    /** Where the named lock lives (a file, an advisory lock key), for messages; never a secret. */
    default String describe(String name) {
        return "lock '" + name + "' of " + this;
    }

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
