package dev.weir.testkit;

import dev.weir.engine.Result;
import dev.weir.engine.RunEvent;
import dev.weir.engine.TaskId;
import dev.weir.engine.TaskResult;
import dev.weir.engine.TaskState;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A finished run as a test sees it: the {@link Result} and every {@link RunEvent} the run sent, in
 * order.
 *
 * @param result the run's result
 * @param events the events, ending with {@link RunEvent.RunFinished}
 */
public record FlowRunRecord(Result result, List<RunEvent> events) {

    public FlowRunRecord {
        events = List.copyOf(events);
    }

    /**
     * The names of the tasks that ran (state {@code COMPLETED}), as reported by the run's events. Bare names:
     * same-named tasks of two stages count once here; {@link #ranIds()} tells them apart. The same holds for
     * {@link #cacheHits()}, {@link #failed()}, {@link #skipped()} and {@link #tasksIn}.
     */
    public Set<String> ran() {
        return tasksIn(TaskState.COMPLETED);
    }

    /** The names of the tasks whose cache was valid (bare names: see {@link #cacheHitIds()}). */
    public Set<String> cacheHits() {
        return tasksIn(TaskState.CACHE_VALID);
    }

    /** The names of the tasks that failed (bare names: see {@link #failedIds()}). */
    public Set<String> failed() {
        return tasksIn(TaskState.FAILED);
    }

    /** The names of the tasks skipped (bare names: see {@link #skippedIds()}). */
    public Set<String> skipped() {
        return tasksIn(TaskState.SKIPPED);
    }

    /** The tasks in {@code state}, from the {@link RunEvent.TaskFinished} events. */
    public Set<String> tasksIn(TaskState state) {
        Set<String> names = new LinkedHashSet<>();
        for (RunEvent e : events) {
            if (e instanceof RunEvent.TaskFinished f && f.result().state() == state) {
                names.add(f.result().task());
            }
        }
        return names;
    }

    /**
     * The tasks in {@code state} by stage and name, from the {@link RunEvent.TaskFinished} events: unlike
     * {@link #tasksIn}, tells apart same-named tasks of two stages.
     */
    public Set<TaskId> idsIn(TaskState state) {
        Set<TaskId> ids = new LinkedHashSet<>();
        for (RunEvent e : events) {
            if (e instanceof RunEvent.TaskFinished f && f.result().state() == state) {
                ids.add(new TaskId(f.result().stage(), f.result().task()));
            }
        }
        return ids;
    }

    /** The tasks that ran, by stage and name. */
    public Set<TaskId> ranIds() {
        return idsIn(TaskState.COMPLETED);
    }

    /** The tasks whose cache was valid, by stage and name. */
    public Set<TaskId> cacheHitIds() {
        return idsIn(TaskState.CACHE_VALID);
    }

    /** The tasks that failed, by stage and name. */
    public Set<TaskId> failedIds() {
        return idsIn(TaskState.FAILED);
    }

    /** The tasks skipped (e.g. because an upstream task failed), by stage and name. */
    public Set<TaskId> skippedIds() {
        return idsIn(TaskState.SKIPPED);
    }

    /** The order in which tasks started (bare names: see {@link #startOrderIds()}); a retried task starts again. */
    public List<String> startOrder() {
        return startOrderIds().stream().map(TaskId::name).toList();
    }

    /** The order in which tasks started, by stage and name; a retried task starts again. */
    public List<TaskId> startOrderIds() {
        return events.stream().filter(e -> e instanceof RunEvent.TaskStarted).map(e -> (RunEvent.TaskStarted) e)
                .map(e -> new TaskId(e.stage(), e.task())).toList();
    }

    /** The stages committed in this run, in order. */
    public List<String> committedStages() {
        return events.stream().filter(e -> e instanceof RunEvent.StageCommitted)
                .map(e -> ((RunEvent.StageCommitted) e).stage()).toList();
    }

    /** The task of this name (or {@code stage/name}); a name that several stages have throws naming them. */
    public TaskResult task(String name) {
        return result.task(name).orElseThrow(() -> new IllegalArgumentException("no task '" + name + "' in the run"));
    }

    /** The task {@code name} of {@code stage}. */
    public TaskResult task(String stage, String name) {
        return result.task(stage, name).orElseThrow(() -> new IllegalArgumentException("no task '" + name
                + "' in stage '" + stage + "' in the run"));
    }

    public boolean successful() {
        return result.successful();
    }
}
