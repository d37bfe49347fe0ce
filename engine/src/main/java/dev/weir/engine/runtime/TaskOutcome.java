package dev.weir.engine.runtime;

/**
 * How one attempt of a task ended, reported by its {@code TaskRun}.
 *
 * @param task      the task
 * @param outputs   what it produced (null when it failed)
 * @param error     the failure (null when it succeeded)
 * @param transientFailure true when a retry may succeed
 * @param seconds   wall time of the attempt
 */
record TaskOutcome(String task, OutputSet outputs, Throwable error, boolean transientFailure, double seconds) {

    boolean succeeded() {
        return error == null;
    }
}
