package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

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

    /**
     * Starts several calls — ready calls of one task that the run hands over in one trip — and returns
     * one stage per call, in the same order; the same ownership rule holds for each call. The default
     * submits them one by one; a placement that can send them together (one hand-over to a thread, one
     * message to a node) should, since a trip per call can cost more than a small call itself.
     */
    default List<CompletionStage<ArrowTable>> submitAll(List<BatchCall> calls) {
        List<CompletionStage<ArrowTable>> stages = new ArrayList<>(calls.size());
        for (BatchCall call : calls) {
            stages.add(submit(call));
        }
        return stages;
    }

    /**
     * Runs every call on {@code executor} in this JVM; the calls given to {@link #submitAll} together run
     * one after another in a single task on it.
     */
    static BatchPlacement local(Executor executor) {
        return new LocalPlacement(executor);
    }
}
