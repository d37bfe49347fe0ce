package dev.weir.engine;

import java.util.Objects;

/**
 * A reference to one output of a task (a table, a blob or a value), used to wire it into later
 * tasks and to read it back from a {@link Result}.
 *
 * @param stage  the producing task's stage
 * @param task   the producing task
 * @param output the output's name (for tables, the table name in the stage's schema)
 */
public record Ref(String stage, String task, String output) {

    public Ref {
        Objects.requireNonNull(stage, "stage is null");
        Objects.requireNonNull(task, "task is null");
        Objects.requireNonNull(output, "output is null");
    }

    /**
     * The output of a task with a single output, which is named after the task (the default when the task
     * declares no {@code outputs(...)}). For a task with several outputs name the one you want with
     * {@link #Ref(String, String, String)}; {@link Result#get} of an output a task does not have lists those it has.
     */
    public static Ref of(String stage, String task) {
        return new Ref(stage, task, task);
    }

    /** The producing task's identity. */
    public TaskId taskId() {
        return new TaskId(stage, task);
    }

    @Override
    public String toString() {
        return stage + "/" + task + "." + output;
    }
}
