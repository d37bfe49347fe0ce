package dev.weir.engine.runtime;

/**
 * How one attempt of a task ended, reported by its {@code TaskRun}.
 *
 * @param task      the task
 * @param outputs   what it produced (null when it failed)
 * @param error     the failure (null when it succeeded)
 * @param transientFailure true when a retry may succeed
 * @param seconds   wall time of the attempt
 * @param inline    the inlined outputs' data by output name, in the run's allocator; whoever receives the
 *                  outcome owns it
 */
record TaskOutcome(String task, OutputSet outputs, Throwable error, boolean transientFailure, double seconds,
                   java.util.Map<String, dev.weir.engine.data.ArrowTable> inline) {

    TaskOutcome {
        inline = inline == null ? java.util.Map.of() : java.util.Map.copyOf(inline);
    }

    boolean succeeded() {
        return error == null;
    }
}
