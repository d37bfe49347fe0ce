package dev.weir.engine.store;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a failed attempt of a stage kept for the next run ({@link TableStore#keepStage}): its transaction
 * schema, still holding the tables its finished tasks wrote, and the cache entries those tasks recorded.
 * A task of the next run whose full key equals a kept entry's takes its tables from here instead of
 * running again ({@link TableStore#resumeStage}).
 *
 * @param stage  the stage (logical name)
 * @param flow   the flow whose run kept it: another flow never resumes it
 * @param runId  the run that kept it
 * @param tasks  the entries recorded in the attempt (tasks that finished, and cache hits carried into it)
 * @param tables the tables (and views) the transaction schema still holds, sorted
 */
public record KeptAttempt(String stage, String flow, String runId, List<TaskRecord> tasks, Set<String> tables) {

    public KeptAttempt {
        Objects.requireNonNull(stage, "stage is null");
        Objects.requireNonNull(flow, "flow is null");
        Objects.requireNonNull(runId, "runId is null");
        tasks = List.copyOf(tasks);
        tables = Set.copyOf(tables);
    }
}
