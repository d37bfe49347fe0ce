package dev.weir.engine.stream;

import dev.weir.engine.WeirException;

/** A streaming run failed: a task (or the source) threw on a batch, and the task does not skip. */
public final class StreamFailedException extends WeirException {

    private final String task;
    private final long batchId;

    public StreamFailedException(String task, long batchId, Throwable cause) {
        super(describe(task, batchId, cause), cause);
        this.task = task;
        this.batchId = batchId;
    }

    private static String describe(String task, long batchId, Throwable cause) {
        String where = StreamGraph.SOURCE.equals(task)
                ? "the source failed producing batch " + batchId
                : "task '" + task + "' failed on batch " + batchId;
        return where + ": " + (cause.getMessage() == null ? cause.getClass().getName() : cause.getMessage());
    }

    /** The failing task, or {@link StreamGraph#SOURCE}. */
    public String task() {
        return task;
    }

    public long batchId() {
        return batchId;
    }
}
