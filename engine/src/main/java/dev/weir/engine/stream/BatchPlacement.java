package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Where task calls run. The run's scheduler decides what runs when; a placement decides where: the
 * local one runs calls on the engine's blocking dispatcher, a cluster placement could ship the batch to
 * another node and bring the output back.
 *
 * <p>{@link #submit} and {@link #submitAll} are called on the scheduler's actor thread, and also on the
 * thread where earlier calls ended when a {@link FollowUp} has more to run (see
 * {@link #submitAll(List, FollowUp)}): they must not block and must be safe to call from any thread.
 * The returned stages may complete on any thread.
 */
public interface BatchPlacement {

    /**
     * What comes after calls that have ended: given their stages, all complete and in the order of the
     * calls, returns the calls to run next (on their outputs), or an empty list. Never blocks; called
     * once per group of calls.
     */
    @FunctionalInterface
    interface FollowUp {
        List<BatchCall> next(List<CompletionStage<ArrowTable>> ended);
    }

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
     * Starts {@code calls} as {@link #submitAll(List)} does and, once all have ended, hands their stages
     * to {@code followUp}; the calls it returns are run the same way, and so on until it returns none.
     * This is how a batch goes on to its next task without a trip back through the run's scheduler.
     *
     * <p>The default calls {@code followUp} on the thread where the last stage completed (or on the
     * calling thread, if all had already) and submits what it returns with {@link #submitAll(List)} from
     * there. A placement that can run the next calls where the previous ones ran, with their outputs
     * still at hand, should override this.
     */
    default void submitAll(List<BatchCall> calls, FollowUp followUp) {
        List<CompletionStage<ArrowTable>> stages = submitOrFail(calls);
        CompletableFuture.allOf(stages.stream().map(CompletionStage::toCompletableFuture)
                .toArray(CompletableFuture[]::new)).whenComplete((ok, error) -> {
                    List<BatchCall> next = followUp.next(stages);
                    if (!next.isEmpty()) {
                        submitAll(next, followUp);
                    }
                });
    }

    /**
     * As {@link #submitAll(List, FollowUp)}, called on a thread that may block — a thread of the
     * blocking dispatcher that has just pulled the calls' inputs from the source. The local placement
     * runs the calls right there; the default submits them.
     */
    default void runHere(List<BatchCall> calls, FollowUp followUp) {
        submitAll(calls, followUp);
    }

    /**
     * Runs every call on {@code executor} in this JVM; the calls given to {@link #submitAll} together run
     * one after another in a single task on it, and so do the calls a {@link FollowUp} adds after them.
     */
    static BatchPlacement local(Executor executor) {
        return new LocalPlacement(executor);
    }

    /** {@link #submitAll(List)}, or stages failed with its exception once it has discarded the calls. */
    private List<CompletionStage<ArrowTable>> submitOrFail(List<BatchCall> calls) {
        try {
            return submitAll(calls);
        } catch (RuntimeException e) {
            // A placement that throws has not taken the calls: close their inputs, report each as failed.
            calls.forEach(BatchCall::discard);
            List<CompletionStage<ArrowTable>> failed = new ArrayList<>(calls.size());
            calls.forEach(c -> failed.add(CompletableFuture.failedFuture(e)));
            return failed;
        }
    }
}
