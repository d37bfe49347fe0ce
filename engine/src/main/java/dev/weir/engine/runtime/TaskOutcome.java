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
 * @param chunks    for a batched task, each chunk's state by chunk index; empty otherwise
 */
record TaskOutcome(dev.weir.engine.TaskId task, OutputSet outputs, Throwable error, boolean transientFailure, double seconds,
                   java.util.Map<String, dev.weir.engine.data.ArrowTable> inline,
                   java.util.List<dev.weir.engine.TaskResult.ChunkState> chunks,
                   java.util.Map<Integer, String> chunkNodes) {

    TaskOutcome {
        inline = inline == null ? java.util.Map.of() : java.util.Map.copyOf(inline);
        chunks = chunks == null ? java.util.List.of() : java.util.List.copyOf(chunks);
        chunkNodes = chunkNodes == null ? java.util.Map.of() : java.util.Map.copyOf(chunkNodes);
    }

    /** An outcome whose chunks, if any, all ran in this JVM. */
    TaskOutcome(dev.weir.engine.TaskId task, OutputSet outputs, Throwable error, boolean transientFailure,
                double seconds, java.util.Map<String, dev.weir.engine.data.ArrowTable> inline,
                java.util.List<dev.weir.engine.TaskResult.ChunkState> chunks) {
        this(task, outputs, error, transientFailure, seconds, inline, chunks, java.util.Map.of());
    }

    /** The outcome of a task that is not batched. */
    TaskOutcome(dev.weir.engine.TaskId task, OutputSet outputs, Throwable error, boolean transientFailure, double seconds,
                java.util.Map<String, dev.weir.engine.data.ArrowTable> inline) {
        this(task, outputs, error, transientFailure, seconds, inline, java.util.List.of());
    }

    boolean succeeded() {
        return error == null;
    }
}
