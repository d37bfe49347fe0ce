package dev.weir.engine;

/**
 * The body of a task. Called on the engine's blocking dispatcher, once per run in which the task's
 * cache is invalid (lazy tasks: once per run, while planning). May block; may throw — the engine
 * reports the exception as the task's failure, naming flow, stage and task.
 *
 * <p>Returns a {@link Table}, a {@link Blob}, {@link Outputs} for several outputs, or a plain value
 * (anything Jackson writes as JSON, or null: its consumers then read null).
 */
@FunctionalInterface
public interface TaskFunction {
    Object call(TaskContext ctx) throws Exception;
}
