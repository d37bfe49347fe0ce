package dev.weir.engine.report;

import dev.weir.engine.PlanReport;
import dev.weir.engine.Result;
import dev.weir.engine.TaskId;
import dev.weir.engine.TaskResult;
import dev.weir.engine.TaskState;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A task's state in a diagram, and the words shown under its name (its reason, or null for none).
 *
 * @param state  how it is coloured
 * @param detail shown under the task's name, e.g. {@code COMPLETED: no-cache-entry}; user-given text,
 *               escaped by whoever draws it
 */
public record TaskMark(NodeState state, String detail) {

    public TaskMark {
        Objects.requireNonNull(state, "state is null");
    }

    /** Each task of {@code result} with its state and, unless a cache hit, its reason. */
    public static Map<TaskId, TaskMark> of(Result result) {
        Map<TaskId, TaskMark> marks = new LinkedHashMap<>();
        for (TaskResult r : result.tasks()) {
            String detail = r.state().name();
            if (r.reason() != null && r.state() != TaskState.CACHE_VALID) {
                detail += ": " + r.reason();
            }
            marks.put(new TaskId(r.stage(), r.task()), new TaskMark(NodeState.of(r.state()), detail));
        }
        return marks;
    }

    /** Each task of {@code plan} with its decision and reason. */
    public static Map<TaskId, TaskMark> of(PlanReport plan) {
        Map<TaskId, TaskMark> marks = new LinkedHashMap<>();
        for (PlanReport.Step s : plan.tasks()) {
            marks.put(new TaskId(s.stage(), s.task()),
                    new TaskMark(NodeState.of(s.decision()), s.decision().label() + ": " + s.reason()));
        }
        return marks;
    }
}
