package dev.weir.engine.runtime;

import dev.weir.engine.Table;
import dev.weir.engine.TaskDef;
import java.util.List;
import java.util.Objects;

/**
 * What the planner decided for one task, before anything ran.
 *
 * @param task        the definition
 * @param decision    run it, carry its cached outputs forward, resume it from a failed attempt, or leave it out
 * @param reason      why, in a few words for the run report (e.g. {@code version-changed 1.0 -> 1.1})
 * @param positionKey the cache lookup key (name, inputs, query or script; not version, not cache function)
 * @param fullKey     the key consumers build on; for hits, the one recorded when the task ran
 * @param cacheFnHash the cache function's hash for this run ("" without one)
 * @param cached      the cache entry's outputs, for hits (and selected-out tasks with a valid entry), or
 *                    the kept outputs of a resumed task
 * @param lazyTables  for lazy tasks, what the function returned, with input names as placeholders
 * @param inlineable  the outputs that may be handed over in memory: every consumer is Java code reading
 *                    Arrow (not a lazy or raw SQL task, not a task asking for the table's SQL name)
 */
public record TaskPlan(TaskDef task, Decision decision, String reason, String positionKey, String fullKey,
                       String cacheFnHash, OutputSet cached, List<Table> lazyTables, java.util.Set<String> inlineable) {

    public TaskPlan {
        Objects.requireNonNull(task, "task is null");
        Objects.requireNonNull(decision, "decision is null");
        lazyTables = lazyTables == null ? List.of() : List.copyOf(lazyTables);
        inlineable = inlineable == null ? java.util.Set.of() : java.util.Set.copyOf(inlineable);
    }

    /** This plan, run after all: a consumer of one of its inlined outputs must run. */
    TaskPlan forcedBy(String consumer) {
        return new TaskPlan(task, Decision.RUN, "inline-producer-for " + consumer, positionKey, fullKey, cacheFnHash,
                cached, lazyTables, inlineable);
    }

    /**
     * This plan, resumed: a failed attempt of its stage already ran the task under the same full key, and
     * its outputs ({@code kept}) are taken from that attempt's transaction instead of running it again.
     */
    TaskPlan resumed(OutputSet kept) {
        return new TaskPlan(task, Decision.RESUME, "resumed", positionKey, fullKey, cacheFnHash, kept, lazyTables,
                inlineable);
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
        RESUME
    }
}
