package dev.weir.engine;

/** How a task ended in a run. */
public enum TaskState {
    /** The task ran and its outputs were materialized. */
    COMPLETED,
    /** The cache was valid: the task did not run and its committed outputs were carried forward. */
    CACHE_VALID,
    /** The task failed, or its stage could not be committed. */
    FAILED,
    /** The task was not run: not selected, or an upstream task failed. */
    SKIPPED
}
