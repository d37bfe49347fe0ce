package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Where task calls run. The run's scheduler decides what runs when; a placement decides where: the
 * local one runs calls on the engine's blocking dispatcher, a cluster placement could ship the batch to
 * another node and bring the output back.
 *
 * <p>Called on the scheduler's actor thread, so {@link #submit} must not block. The returned stage may
 * complete on any thread.
 */
public interface BatchPlacement {

    /**
     * Starts {@code call} and completes with its output, which then belongs to the run. The placement
     * takes ownership of the call: it must {@link BatchCall#invoke() invoke} or
     * {@link BatchCall#discard() discard} it exactly once, even when it fails.
     */
    CompletionStage<ArrowTable> submit(BatchCall call);

    /** Runs every call on {@code executor} in this JVM. */
    static BatchPlacement local(Executor executor) {
        return call -> {
            try {
                return CompletableFuture.supplyAsync(() -> {
                    try {
                        return call.invoke();
                    } catch (RuntimeException e) {
                        throw e;
                    } catch (Exception e) {
                        throw new CompletionException(e);
                    }
                }, executor);
            } catch (RejectedExecutionException e) {
                call.discard();
                return CompletableFuture.failedFuture(e);
            }
        };
    }
}
