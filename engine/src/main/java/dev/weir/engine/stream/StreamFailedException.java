package dev.weir.engine.stream;

import dev.weir.engine.WeirException;

/** A streaming run failed: a task (or the source) threw on a batch, and the task does not skip. */
public final class StreamFailedException extends WeirException {

    private final String task;
    private final long batchId;

    public StreamFailedException(String task, long batchId, Throwable cause) {
        this(describe(task, batchId, cause), task, batchId, cause);
    }

    private StreamFailedException(String message, String task, long batchId, Throwable cause) {
        super(message, cause);
        this.task = task;
        this.batchId = batchId;
    }

    /** The run's own scheduler failed (a bug in Weir): no task and no batch to name; {@link #task()} is null. */
    static StreamFailedException internal(Throwable cause) {
        return new StreamFailedException("the streaming run failed in its scheduler: " + cause, null, -1, cause);
    }

    private static String describe(String task, long batchId, Throwable cause) {
        String where = StreamGraph.SOURCE.equals(task)
                ? "the source failed producing batch " + batchId
                : "task '" + task + "' failed on batch " + batchId;
        return where + ": " + (cause.getMessage() == null ? cause.getClass().getName() : cause.getMessage());
    }

    /** The failing task, {@link StreamGraph#SOURCE}, or null when the run's scheduler itself failed. */
    public String task() {
        return task;
    }

    public long batchId() {
        return batchId;
    }
}
