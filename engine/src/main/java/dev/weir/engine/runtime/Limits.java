package dev.weir.engine.runtime;

import dev.weir.engine.TaskDef;
import dev.weir.engine.config.InstanceConfig;
import java.time.Duration;

/**
 * The time limits of a task and of its chunks, and where each was set, for the messages of the
 * failures they cause.
 *
 * @param duration how long the work may take
 * @param setting  where the limit comes from: the task's builder call or the instance's key
 */
record Limits(Duration duration, String setting) {

    /** How long an actor waits for interrupted work to end before it reports the failure anyway. */
    static final Duration GRACE = Duration.ofSeconds(5);

    /** The limit on one attempt of {@code task}: its own {@code timeout}, else {@code task_timeout}. */
    static Limits task(TaskDef task, InstanceConfig config) {
        return task.timeout() != null
                ? new Limits(task.timeout(), "TaskBuilder.timeout of task '" + task.name() + "'")
                : new Limits(config.timeouts().task(), "task_timeout of " + config.source());
    }

    /** The limit on one chunk of {@code task}: its own {@code chunkTimeout}, else {@code chunk_timeout}. */
    static Limits chunk(TaskDef task, InstanceConfig config) {
        return task.chunkTimeout() != null
                ? new Limits(task.chunkTimeout(), "TaskBuilder.chunkTimeout of task '" + task.name() + "'")
                : new Limits(config.timeouts().chunk(), "chunk_timeout of " + config.source());
    }
}
