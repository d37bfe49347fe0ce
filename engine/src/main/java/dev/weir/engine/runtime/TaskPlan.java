package dev.weir.engine.runtime;

import dev.weir.engine.Table;
import dev.weir.engine.TaskDef;
import dev.weir.engine.TaskId;
import java.util.List;
import java.util.Objects;

/**
 * What the planner decided for one task: before anything ran, or, for a {@link Decision#DEFERRED}
 * task, when its inputs were ready.
 *
 * @param task        the definition
 * @param decision    run it, carry its cached outputs forward, resume it from a failed attempt, leave it out,
 *                    or decide when its inputs are ready
 * @param reason      why, in a few words for the run report (e.g. {@code version-changed 1.0 -> 1.1})
 * @param positionKey the cache lookup key (flow, stage, name, kind, inputs, query or script; not version, not
 *                    cache function); for a task left out, the key of its committed entry; null while deferred
 * @param fullKey     the key consumers build on; for hits and tasks left out, the one recorded when the task
 *                    ran; null while deferred
 * @param cacheFnHash the cache function's hash for this run ("" without one)
 * @param cached      the cache entry's outputs: for hits, and for tasks left out the committed entry (what
 *                    their committed tables hold), when there is one; or the kept outputs of a resumed task
 * @param lazyTables  for lazy tasks, the tables the function returned (in output order), with input names as
 *                    placeholders
 * @param inlineable  the outputs that may be handed over in memory: every consumer is Java code reading
 *                    Arrow (not a lazy or raw SQL task, not a task asking for the table's SQL name)
 * @param fresh       true when the key is this run's alone (no version, a forced mode): no cache of any kind,
 *                    the chunk cache included, may serve the task
 * @param lazyValues  for lazy tasks, the values the function returned next to its tables, as JSON by output
 */
public record TaskPlan(TaskDef task, Decision decision, String reason, String positionKey, String fullKey,
                       String cacheFnHash, OutputSet cached, List<Table> lazyTables, java.util.Set<String> inlineable,
                       boolean fresh, java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> lazyValues) {

    /** A plan without lazy values. */
    public TaskPlan(TaskDef task, Decision decision, String reason, String positionKey, String fullKey,
                    String cacheFnHash, OutputSet cached, List<Table> lazyTables, java.util.Set<String> inlineable,
                    boolean fresh) {
        this(task, decision, reason, positionKey, fullKey, cacheFnHash, cached, lazyTables, inlineable, fresh, null);
    }

    public TaskPlan {
        Objects.requireNonNull(task, "task is null");
        Objects.requireNonNull(decision, "decision is null");
        lazyTables = lazyTables == null ? List.of() : List.copyOf(lazyTables);
        inlineable = inlineable == null ? java.util.Set.of() : java.util.Set.copyOf(inlineable);
        lazyValues = lazyValues == null ? java.util.Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(lazyValues));
        if (decision != Decision.DEFERRED) {
            Objects.requireNonNull(fullKey, "fullKey is null");
        }
    }

    /** This plan, run after all: a consumer of one of its inlined outputs must run. */
    TaskPlan forcedBy(String consumer) {
        return new TaskPlan(task, Decision.RUN, "inline-producer-for " + consumer, positionKey, fullKey, cacheFnHash,
                cached, lazyTables, inlineable, fresh, lazyValues);
    }

    TaskPlan withInlineable(java.util.Set<String> outputs) {
        return new TaskPlan(task, decision, reason, positionKey, fullKey, cacheFnHash, cached, lazyTables, outputs,
                fresh, lazyValues);
    }

    /**
     * This plan, resumed: a failed attempt of its stage already ran the task under the same full key, and
     * its outputs ({@code kept}) are taken from that attempt's transaction instead of running it again.
     */
    TaskPlan resumed(OutputSet kept) {
        return new TaskPlan(task, Decision.RESUME, "resumed", positionKey, fullKey, cacheFnHash, kept, lazyTables,
                inlineable, fresh, lazyValues);
    }

    public TaskId id() {
        return task.id();
    }

    public String name() {
        return task.name();
    }

    public String stage() {
        return task.stage();
    }

    /** What happens to a task in a run. */
    public enum Decision {
        /** The cache is invalid: the task runs. */
        RUN,
        /** The cache is valid: the committed outputs are carried forward (copied if the stage runs). */
        HIT,
        /** Not selected for this run: its committed outputs stay as they are. */
        SKIP,
        /**
         * A failed attempt of its stage ran it under the same full key and kept its outputs in the stage's
         * transaction: they stay there, and the task does not run again.
         */
        RESUME,
        /**
         * Its key needs an output of a task that runs first (a value output is keyed by its value, which is
         * known only once it is produced): decided, RUN or HIT, when its inputs are ready.
         */
        DEFERRED
    }
}
