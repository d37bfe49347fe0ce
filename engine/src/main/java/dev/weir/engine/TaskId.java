package dev.weir.engine;

import java.util.Objects;

/**
 * A task's identity in its flow: its stage and its name. Task names are unique per stage, so two
 * stages may each have a task of the same name; everything that keeps state by task keys it by this.
 *
 * @param stage the task's stage
 * @param name  the task's name, unique in the stage
 */
public record TaskId(String stage, String name) {

    public TaskId {
        Objects.requireNonNull(stage, "stage is null");
        Objects.requireNonNull(name, "name is null");
    }

    /** {@code stage/name}, the form {@code only(...)}, progress lines and messages use. */
    @Override
    public String toString() {
        return stage + "/" + name;
    }
}
