package dev.weir.engine;

import java.util.Objects;

/**
 * How one task ended in a run.
 *
 * @param stage    its stage
 * @param task     its name
 * @param state    the outcome
 * @param reason   why it ran or did not (e.g. {@code no-cache-entry}, {@code version-changed 1 -> 2},
 *                 {@code upstream-failed}), or null
 * @param seconds  wall time spent on it in this run
 * @param rows     rows written (or carried forward), -1 when unknown
 * @param attempts how many times it was tried
 * @param error    the failure, or null
 */
public record TaskResult(String stage, String task, TaskState state, String reason, double seconds, long rows,
                         int attempts, String error) {

    public TaskResult {
        Objects.requireNonNull(stage, "stage is null");
        Objects.requireNonNull(task, "task is null");
        Objects.requireNonNull(state, "state is null");
    }
}
