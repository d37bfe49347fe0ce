package dev.weir.engine.runtime;

import dev.weir.engine.Flow;
import dev.weir.engine.TaskId;
import dev.weir.engine.config.InstanceConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A run's plan: every task's keys and decision, computed before anything runs, and the stages that
 * must be written (those with a task to run). Immutable.
 *
 * @param runId   this run's id
 * @param flow    the flow
 * @param config  the instance
 * @param tasks   the task plans, in the flow's (topological) order, by task
 * @param touched the stages that get a transaction (at least one task runs or resumes there)
 * @param subset  true when only some tasks were selected
 */
public record Plan(String runId, Flow flow, InstanceConfig config, Map<TaskId, TaskPlan> tasks,
                   Set<String> touched, boolean subset) {

    public Plan {
        Objects.requireNonNull(runId, "runId is null");
        tasks = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tasks));
        touched = Set.copyOf(touched);
    }

    /** This plan with {@code decided} in place of the deferred plan of the same task. */
    Plan with(TaskPlan decided) {
        Map<TaskId, TaskPlan> copy = new LinkedHashMap<>(tasks);
        copy.put(decided.id(), decided);
        return new Plan(runId, flow, config, copy, touched, subset);
    }

    public TaskPlan task(TaskId id) {
        return tasks.get(id);
    }

    /** The plan of the task producing {@code ref}. */
    public TaskPlan producerOf(dev.weir.engine.Ref ref) {
        return tasks.get(ref.taskId());
    }

    public List<TaskPlan> tasksOf(String stage) {
        return tasks.values().stream().filter(t -> t.stage().equals(stage)).toList();
    }

    public long count(TaskPlan.Decision decision) {
        return tasks.values().stream().filter(t -> t.decision() == decision).count();
    }
}
