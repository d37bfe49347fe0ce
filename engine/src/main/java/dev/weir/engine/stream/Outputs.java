package dev.weir.engine.stream;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The terminal outputs of a run on their way to the reader: queued until it asks, then handed over all
 * at once in one reply. The batches of a reply stay in flight until the reader asks again, which says it
 * has read them. Owned by the {@link StreamRun} actor; replies complete on its thread.
 */
final class Outputs {

    private static final long[] NONE = new long[0];

    private final ArrayDeque<BatchResult> queued = new ArrayDeque<>();
    private CompletableFuture<List<BatchResult>> waiter;
    private long[] handedOver = NONE;

    /**
     * Takes the reader's request and returns the batch ids of the previous reply, which the reader has
     * now read. Refuses a second request while one waits.
     */
    long[] ask(CompletableFuture<List<BatchResult>> reply) {
        if (waiter != null) {
            reply.completeExceptionally(new IllegalStateException(
                    "next() was called while another call was waiting; read a run's results from one consumer"));
            return NONE;
        }
        long[] read = handedOver;
        handedOver = NONE;
        waiter = reply;
        return read;
    }

    /** Queues {@code result}, which now belongs here, and answers a waiting request. */
    void add(BatchResult result) {
        queued.add(result);
        deliver();
    }

    void deliver() {
        if (waiter == null || queued.isEmpty()) {
            return;
        }
        CompletableFuture<List<BatchResult>> reply = waiter;
        waiter = null;
        List<BatchResult> taken = new ArrayList<>(queued);
        queued.clear();
        handedOver = taken.stream().mapToLong(BatchResult::batchId).toArray();
        reply.complete(taken);
    }

    /** Closes what is queued; handed-over outputs belong to the reader. */
    void closeAll() {
        queued.forEach(BatchResult::close);
        queued.clear();
    }

    /** Answers a waiting request with the end of the run: {@code failure}, or no more outputs. */
    void end(Throwable failure) {
        if (waiter != null) {
            if (failure != null) {
                waiter.completeExceptionally(failure);
            } else {
                waiter.complete(List.of());
            }
            waiter = null;
        }
    }
}
