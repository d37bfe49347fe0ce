package dev.weir.engine.runtime;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.blob.FileBlobStore;
import dev.weir.engine.store.KeptAttempt;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TaskRecord;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The planner's last word on tasks that must run: one whose stage failed in an earlier run, after the
 * task itself had finished there under the same full key, is resumed instead (pipedag #167). Its tables
 * are still in the transaction that failed attempt kept ({@link TableStore#keepStage}); the stage begins
 * from them and commits as a whole as usual.
 *
 * <p>A task is resumed only when all of these hold: it must run for a reason of the cache (no entry, a new
 * version, fresh input; not a forced run, nor one named in {@code only}); the kept attempt is its flow's;
 * the attempt recorded the task under its position key with the full key it gets now (so its inputs, code version and cache function
 * value are the same); none of its producers runs in this run; none of its outputs was inlined; and every
 * table and blob it recorded is still in the kept transaction. Anything else runs, as it would have.
 *
 * <p>Blocking (reads the store once per stage with a task to run). Used by the {@link Planner} only.
 */
final class KeptWork {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(KeptWork.class);

    private final Flow flow;
    private final TableStore store;
    private final FileBlobStore blobs;
    private final Map<String, Optional<KeptAttempt>> attempts = new HashMap<>();

    KeptWork(Flow flow, TableStore store, FileBlobStore blobs) {
        this.flow = flow;
        this.store = store;
        this.blobs = blobs;
    }

    /**
     * The plan of a task that must run, resumed when it can be; {@code plans} holds the plans of the tasks
     * before it in the flow's order (so a task reading a resumed one can be resumed too).
     */
    TaskPlan resumeIfKept(TaskPlan plan, Map<dev.weir.engine.TaskId, TaskPlan> plans) {
        if (plan.decision() != TaskPlan.Decision.RUN || plan.reason().startsWith("forced")
                || plan.reason().equals("selected")) {
            return plan;
        }
        boolean producerRuns = plan.task().upstream().stream().map(Ref::taskId).distinct()
                .anyMatch(p -> plans.get(p).decision() == TaskPlan.Decision.RUN
                        || plans.get(p).decision() == TaskPlan.Decision.DEFERRED);
        if (producerRuns) {
            return plan;
        }
        return keptOutputs(plan).map(plan::resumed).orElse(plan);
    }

    /** Logs, per stage with a kept attempt, how many of its tasks {@code plans} resumes. */
    void report(Map<dev.weir.engine.TaskId, TaskPlan> plans) {
        attempts.forEach((stage, attempt) -> attempt.ifPresent(a -> {
            long resumed = plans.values().stream()
                    .filter(p -> p.stage().equals(stage) && p.decision() == TaskPlan.Decision.RESUME).count();
            LOG.info("Stage '{}' of flow '{}': {} of the {} tasks finished in the attempt kept by failed run {}"
                    + " are resumed", stage, flow.name(), resumed, a.tasks().size(), a.runId());
        }));
    }

    /** The outputs the kept attempt of the task's stage holds for it under its current key, if usable. */
    private Optional<OutputSet> keptOutputs(TaskPlan plan) {
        Optional<KeptAttempt> attempt = attempts.computeIfAbsent(plan.stage(), this::attemptOf);
        if (attempt.isEmpty()) {
            return Optional.empty();
        }
        TaskRecord found = null;
        for (TaskRecord r : attempt.get().tasks()) { // oldest first: the newest wins
            if (r.task().equals(plan.name()) && r.cacheKey().equals(plan.positionKey())) {
                found = r;
            }
        }
        if (found == null) {
            return Optional.empty();
        }
        OutputSet kept = OutputSet.fromJson(found.outputJson());
        boolean usable = Objects.equals(kept.fullKey(), plan.fullKey())
                && kept.outputs().stream().noneMatch(o -> o.kind() == OutputSet.Kind.INLINE)
                && kept.tables().stream().allMatch(t -> attempt.get().tables().contains(t.table()))
                && kept.blobs().stream().allMatch(b -> blobs.inTransaction(plan.stage(), b.table()));
        return usable ? Optional.of(kept) : Optional.empty();
    }

    /** The stage's kept attempt, if there is one of this flow. */
    private Optional<KeptAttempt> attemptOf(String stage) {
        Optional<KeptAttempt> attempt = store.keptAttempt(stage);
        if (attempt.isPresent() && !attempt.get().flow().equals(flow.name())) {
            LOG.info("Stage '{}': the attempt kept by failed run {} belongs to flow '{}', not '{}'; it is not"
                    + " resumed", stage, attempt.get().runId(), attempt.get().flow(), flow.name());
            return Optional.empty();
        }
        return attempt;
    }
}
