package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;

/**
 * The body of a batch task: one Arrow batch (or one per input) in, one Arrow batch out.
 *
 * <p><b>Threads.</b> Called on the engine's blocking dispatcher (or wherever the run's
 * {@link BatchPlacement} puts it), possibly for several batches at once up to the task's
 * {@code parallelism}; an implementation that keeps state between calls must make it thread-safe.
 * May block; may throw — the run fails naming the task and the batch id, or skips the batch when
 * the task is configured with {@code on-error = skip}.
 *
 * <p><b>Ownership.</b> The input tables belong to the engine, are read-only (a fanned-out batch shares
 * its buffers with other tasks) and are closed after the call. The returned table passes to the
 * engine; returning one of the inputs unchanged is allowed and passes it on without a copy.
 */
@FunctionalInterface
public interface BatchFunction {

    /** @return the output batch, never {@code null} */
    ArrowTable apply(BatchInput input) throws Exception;
}
