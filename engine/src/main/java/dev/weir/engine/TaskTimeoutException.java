package dev.weir.engine;

import java.time.Duration;

/**
 * A task, or a chunk of a batched task, ran longer than its limit. The message names flow, stage,
 * task, chunk, the limit and where it was set; the failure is not transient, so it is not retried.
 */
public final class TaskTimeoutException extends TaskFailedException {

    private final Duration limit;

    /**
     * @param chunk   the chunk ({@code "chunk 3 (bucket 3 of 8)"}), or null for the whole task
     * @param limit   the limit it exceeded
     * @param setting where the limit comes from, e.g. {@code "task_timeout of weir.yaml: instances.mini"}
     */
    public TaskTimeoutException(String flow, String stage, String task, String chunk, Duration limit, String setting) {
        super(flow, stage, task, (chunk == null ? "" : chunk + ": ") + "ran longer than its timeout of "
                + dev.weir.engine.config.Durations.human(limit) + " (" + setting + "); it was interrupted", null);
        this.limit = limit;
    }

    public Duration limit() {
        return limit;
    }
}
