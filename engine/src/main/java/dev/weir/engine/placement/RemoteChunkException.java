package dev.weir.engine.placement;

/**
 * A chunk failed on another node: its {@link ChunkError} as the run's exception. Transient when the
 * error is, so that the task retries the chunk (with the next attempt number) under its retry policy.
 */
public final class RemoteChunkException extends RuntimeException {

    private final ChunkError error;

    public RemoteChunkException(ChunkError error) {
        super(error.message() + (error.node() == null ? "" : " (on node " + error.node() + ", " + error.className() + ")"));
        this.error = error;
    }

    public ChunkError error() {
        return error;
    }

    public boolean isTransient() {
        return error.transientFailure();
    }
}
