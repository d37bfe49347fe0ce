package dev.weir.engine.store;

import java.time.Instant;
import java.util.Objects;

/**
 * One cache entry in the store's {@code weir_metadata} schema: a task that ran (or was copied
 * forward) in a stage, under a cache key, with a description of its outputs.
 *
 * @param stage       the stage name (logical, without instance prefix or transaction suffix)
 * @param task        the task name
 * @param cacheKey    the task's cache key (hex)
 * @param outputJson  the engine's JSON description of the outputs (tables, blobs, values);
 *                    opaque to the store
 * @param runId       the run that produced the entry
 * @param createdAt   when the entry was written
 */
public record TaskRecord(String stage, String task, String cacheKey, String outputJson, String runId,
                         Instant createdAt) {

    public TaskRecord {
        Objects.requireNonNull(stage, "stage is null");
        Objects.requireNonNull(task, "task is null");
        Objects.requireNonNull(cacheKey, "cacheKey is null");
        Objects.requireNonNull(outputJson, "outputJson is null");
        Objects.requireNonNull(runId, "runId is null");
        Objects.requireNonNull(createdAt, "createdAt is null");
    }
}
