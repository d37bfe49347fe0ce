package dev.weir.engine.stream;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The terminal outputs of a run on their way to the reader: queued until it asks, then handed over all
 * at once in one reply. The batches of a reply stay in flight until the reader asks again, which says it
 * has read them. Owned by the {@link StreamRun} actor; replies complete on its thread — or on a
 * dispatcher thread, see below.
 *
 * <p><b>Lent request.</b> While the reader waits and nothing is queued, its request is lent out: the
 * {@link Relay} thread that ends a terminal trip may take it ({@link #takeLent}) and answer it with that
 * trip's outputs right there, and the actor books them when it hears of the trip ({@link #delivered}).
 * The reader may ask again before that: then the outputs are already read when they are booked. The
 * actor takes the request back before it answers it itself or ends the run; one atomic step decides
 * who answers, so a request is answered once.
 */
final class StreamOutputs {

    private static final long[] NONE = new long[0];

    private final ArrayDeque<BatchResult> queued = new ArrayDeque<>();
    private final AtomicReference<CompletableFuture<List<BatchResult>>> lent = new AtomicReference<>();
    private CompletableFuture<List<BatchResult>> waiter;
    /** The request was lent and the actor has not yet learnt what answered it. */
    private boolean lentOut;
    /** Replies given by relay threads that the reader has read before the actor booked them. */
    private int readUnbooked;
    private long[] handedOver = NONE;

    /**
     * Takes the reader's request and returns the batch ids of the previous reply, which the reader has
     * now read. Refuses a second request while one waits.
     */
    long[] ask(CompletableFuture<List<BatchResult>> reply) {
        if (waiter != null || (lentOut && lent.get() != null)) {
            reply.completeExceptionally(new IllegalStateException(
                    "next() was called while another call was waiting; read a run's results from one consumer"));
            return NONE;
        }
        if (lentOut) {
            // A relay thread answered the lent request and the reader has read that reply already.
            lentOut = false;
            readUnbooked++;
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
        if (queued.isEmpty()) {
            return;
        }
        takeBack();
        if (waiter == null) {
            return;
        }
        CompletableFuture<List<BatchResult>> reply = waiter;
        waiter = null;
        List<BatchResult> taken = new ArrayList<>(queued);
        queued.clear();
        handedOver = taken.stream().mapToLong(BatchResult::batchId).toArray();
        reply.complete(taken);
    }

    /** Lends a waiting request to relay threads when nothing is queued to answer it with. */
    void lend() {
        if (waiter != null && queued.isEmpty()) {
            lent.set(waiter);
            waiter = null;
            lentOut = true;
        }
    }

    /** The lent request, which the caller must then answer; {@code null} when there is none. Any thread. */
    CompletableFuture<List<BatchResult>> takeLent() {
        return lent.getAndSet(null);
    }

    /**
     * A relay thread answered the lent request with outputs of {@code batchIds}; returns those the
     * reader has read already, which leave the run now.
     */
    long[] delivered(long[] batchIds) {
        if (readUnbooked > 0) {
            readUnbooked--;
            return batchIds;
        }
        lentOut = false;
        handedOver = batchIds;
        return NONE;
    }

    /**
     * Closes what is queued and takes a lent request back, so that no more outputs reach the reader;
     * handed-over outputs belong to the reader.
     */
    void closeAll() {
        takeBack();
        queued.forEach(BatchResult::close);
        queued.clear();
    }

    /** Answers a waiting request with the end of the run: {@code failure}, or no more outputs. */
    void end(Throwable failure) {
        takeBack();
        if (waiter != null) {
            if (failure != null) {
                waiter.completeExceptionally(failure);
            } else {
                waiter.complete(List.of());
            }
            waiter = null;
        }
    }

    /** Takes a lent request back, if no relay thread has taken it. */
    private void takeBack() {
        if (lentOut) {
            CompletableFuture<List<BatchResult>> back = lent.getAndSet(null);
            if (back != null) {
                waiter = back;
                lentOut = false;
            }
        }
    }
}
