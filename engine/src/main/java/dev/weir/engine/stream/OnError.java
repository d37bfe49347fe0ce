package dev.weir.engine.stream;

/** What a run does when a task fails on a batch ({@code on-error} in a task's configuration). */
public enum OnError {
    /** Fail the run, naming the task and the batch id (the default). */
    FAIL,
    /** Drop the batch on this path, report its id in the run's summary, and go on. */
    SKIP
}
