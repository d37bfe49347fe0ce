package dev.weir.engine.runtime;

import java.util.EnumSet;
import java.util.Set;

/**
 * Where a task stands in its run, as {@link FlowRun} keeps it. Every change goes through
 * {@link #check}: a change the table below does not list is a bug in the engine, and the run fails
 * with it instead of going on (or hanging) with a task in a state nobody expects (Flink's
 * {@code ExecutionState} is the model).
 *
 * <pre>
 * PENDING  -> RUNNING | SKIPPED
 * CARRYING -> SUCCEEDED | SKIPPED        a cache hit copied forward, or a resumed task's kept outputs,
 *                                        when its stage begins
 * RUNNING  -> SUCCEEDED | FAILED | RETRYING
 * RETRYING -> RUNNING | SKIPPED          waiting out its backoff, holding its slot
 * SUCCEEDED, FAILED, SKIPPED: final
 * </pre>
 */
enum TaskStatus {
    PENDING, CARRYING, RUNNING, RETRYING, SUCCEEDED, FAILED, SKIPPED;

    private Set<TaskStatus> next() {
        return switch (this) {
            case PENDING -> EnumSet.of(RUNNING, SKIPPED);
            case CARRYING -> EnumSet.of(SUCCEEDED, SKIPPED);
            case RUNNING -> EnumSet.of(SUCCEEDED, FAILED, RETRYING);
            case RETRYING -> EnumSet.of(RUNNING, SKIPPED);
            case SUCCEEDED, FAILED, SKIPPED -> EnumSet.noneOf(TaskStatus.class);
        };
    }

    /** Whether the task has ended in this run. */
    boolean isFinal() {
        return next().isEmpty();
    }

    /**
     * Returns {@code to} when a task may go from {@code from} (null: not yet placed, which may become
     * anything) to it.
     *
     * @throws IllegalTransitionException otherwise, naming the task
     */
    static TaskStatus check(String where, TaskStatus from, TaskStatus to) {
        if (from != null && !from.next().contains(to)) {
            throw new IllegalTransitionException(where, from, to);
        }
        return to;
    }
}
