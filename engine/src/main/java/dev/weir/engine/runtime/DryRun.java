package dev.weir.engine.runtime;

import dev.weir.engine.Flow;
import dev.weir.engine.PlanReport;
import dev.weir.engine.Ref;
import dev.weir.engine.RunOptions;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.TableStore;
import java.util.ArrayList;
import java.util.List;

/**
 * Plans a run without running it ({@link dev.weir.engine.Weir#plan}): the checks and the planner of a
 * run's prepare step, and none of its writes. It takes no instance lock, begins no stage, drops no
 * transaction a killed run left (a run does, under its lock), and records nothing: the planner only
 * reads committed metadata and kept attempts, and calls cache functions and lazy task functions, as a
 * run does before it writes. Blocking: call it on the blocking dispatcher.
 */
final class DryRun {

    private DryRun() {
    }

    /**
     * What a run of {@code flow} on {@code config} (its cache validation already overridden by the options)
     * would do. A stage committed by another flow fails the plan as it would fail the run.
     */
    static PlanReport plan(Flow flow, InstanceConfig config, TableStore store, RunOptions options) {
        StageClaims.checkNames(flow, store);
        StageClaims.checkOwners(flow, config, store);
        Planner planner = new Planner(flow, config, config.cacheValidation(), store);
        Plan plan = planner.plan(options.forRun().runId(), options.only());
        List<PlanReport.Step> steps = new ArrayList<>();
        for (TaskPlan t : plan.tasks().values()) {
            steps.add(new PlanReport.Step(t.stage(), t.name(), decision(t.decision()), reason(t, plan)));
        }
        return new PlanReport(flow.name(), config.instanceName(), steps);
    }

    private static PlanReport.Decision decision(TaskPlan.Decision decision) {
        return switch (decision) {
            case RUN -> PlanReport.Decision.RUN;
            case HIT -> PlanReport.Decision.CACHE_HIT;
            case RESUME -> PlanReport.Decision.RESUMED;
            case SKIP -> PlanReport.Decision.NOT_SELECTED;
            case DEFERRED -> PlanReport.Decision.DECIDED_WHEN_INPUTS_ARE_READY;
        };
    }

    /** The plan's reason; for a deferred task, the outputs of tasks that run first its key needs. */
    private static String reason(TaskPlan task, Plan plan) {
        if (task.decision() != TaskPlan.Decision.DEFERRED) {
            return task.reason();
        }
        List<String> pending = task.task().upstream().stream()
                .filter(r -> {
                    TaskPlan.Decision d = plan.task(r.taskId()).decision();
                    return d == TaskPlan.Decision.RUN || d == TaskPlan.Decision.DEFERRED;
                })
                .map(Ref::toString).distinct().toList();
        return pending.isEmpty() ? "its key needs outputs of tasks that run first"
                : "its key needs " + String.join(", ", pending) + ", produced in this run";
    }
}
