package dev.weir.engine;

/**
 * What a run reports as it goes, to the listener of {@link RunOptions#listener}. Sent from the run's
 * supervisor actor, in order.
 */
public sealed interface RunEvent {

    String runId();

    /**
     * Planned: {@code toRun} tasks will run, {@code cached} are cache hits, and {@code toDecide} are decided
     * when their inputs are ready (their key needs what a task of this run produces), of {@code total}.
     */
    record RunStarted(String runId, String flow, String instance, int total, int toRun, int cached, int toDecide)
            implements RunEvent {
    }

    /** The run waits for a lock held by another run of the instance. */
    record Waiting(String runId, String message) implements RunEvent {
    }

    record TaskStarted(String runId, String stage, String task, int attempt) implements RunEvent {
    }

    record TaskFinished(String runId, TaskResult result) implements RunEvent {
    }

    /**
     * A chunk of a batched task was uploaded: {@code done} of {@code total}, {@code rows} rows so far.
     *
     * @param node the cluster address of the node that ran this chunk ({@code pekko://SYSTEM@HOST:PORT}), or
     *             null when it ran in the run's own JVM (or came from the chunk cache)
     */
    record ChunkFinished(String runId, String stage, String task, int done, int total, long rows, double seconds,
                         String node) implements RunEvent {

        /** A chunk that ran in the run's own JVM. */
        public ChunkFinished(String runId, String stage, String task, int done, int total, long rows, double seconds) {
            this(runId, stage, task, done, total, rows, seconds, null);
        }
    }

    record StageCommitted(String runId, String stage) implements RunEvent {
    }

    record StageAborted(String runId, String stage, String reason) implements RunEvent {
    }

    record RunFinished(String runId, boolean successful, String summary) implements RunEvent {
    }
}
