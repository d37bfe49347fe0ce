package dev.weir.engine.placement;

import java.util.Objects;

/**
 * A chunk's failure as a value that can cross a network: the exception's class and message (its cause
 * chain's messages joined), and whether a retry may cure it (a transient store error, or the node that
 * ran the chunk was lost). No {@code Throwable} crosses.
 *
 * @param className the exception's class, e.g. {@code dev.weir.engine.store.StoreException}
 * @param message   what went wrong, naming the chunk where the exception did
 * @param transientFailure true when running the chunk again may succeed
 * @param node      the node the chunk ran on, or null when it never reached one
 */
public record ChunkError(String className, String message, boolean transientFailure, String node) {

    public ChunkError {
        Objects.requireNonNull(className, "className is null");
        message = message == null ? "" : message;
    }
}
