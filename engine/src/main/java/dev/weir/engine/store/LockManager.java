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
     * The name of the lock a run of an instance holds from before it plans until it ends; anything else
     * that changes the instance's data ({@code weir clear}) takes the same lock.
     */
    static String instanceLock(String instanceId) {
        return "instance:" + instanceId;
    }

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

    /**
     * Who holds the named lock, as a hint for a message when a wait for it gives up: for example
     * {@code " (held by process 123 on host since …)"}, or empty when it is free or the store cannot
     * tell. May ask the server: call it from the blocking dispatcher. Never throws.
     */
    default String holder(String name) {
        return "";
    }

    /** Where the named lock lives (a file, an advisory lock key), for messages; never a secret. */
    default String describe(String name) {
        return "lock '" + name + "' of " + this;
    }

    /**
     * A held lock. Closing releases it; closing twice is harmless.
     *
     * <p>A lock can be lost while held, behind its holder's back: a lock that lives in a database
     * session (PostgreSQL's advisory locks) ends with its connection, and another run may then take it.
     * So a holder checks {@link #verify()} right before every step that another holder would undo or
     * collide with (a stage's begin, commit and abort).
     */
    interface Lock extends AutoCloseable {

        /**
         * True while this lock is still held: not closed, and (for a lock kept by a server) the server
         * still grants it to this holder. Blocking: may ask the server; call it from the blocking
         * dispatcher. Thread-safe.
         */
        boolean isHeld();

        /**
         * Returns when the lock is still held, else throws.
         *
         * @throws LockLostException when {@link #isHeld()} is false
         */
        default void verify() {
            if (!isHeld()) {
                throw new LockLostException(this + " is no longer held (its session ended, or it was released);"
                        + " another run may hold it now");
            }
        }

        @Override
        void close();
    }

    /**
     * A held lock was lost: whatever the holder was about to do to the locked data must not happen,
     * since another run may own it now. Not transient: retrying under a lost lock is what it prevents.
     */
    final class LockLostException extends StoreException {
        public LockLostException(String message) {
            super(message, null, false, null);
        }
    }

    /** The lock stayed taken for the whole timeout. */
    final class LockTimeoutException extends StoreException {
        public LockTimeoutException(String message) {
            super(message, null);
        }
    }
}
