package dev.weir.engine.stream;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The outputs of one streaming run, in the order they complete, pulled one at a time: the run takes a
 * new source batch only when there is room, so reading slowly slows the source down. Each
 * {@link BatchResult} belongs to the reader, who closes it.
 *
 * <p>Blocking ({@link #hasNext()}, {@link #next()}) or not ({@link #nextAsync()}); one reader at a
 * time. {@link #close()} before the end cancels the run and waits until its running calls have ended,
 * so that every batch the run held is freed when it returns. No wait here is unbounded: a call (or a
 * pull from the source) past its timeout fails the run, which then ends without waiting for it.
 *
 * <p>One request to the run brings every output it has queued; they wait here and are handed out one
 * at a time, and still count towards the run's {@code max-in-flight} until the reader has taken them all.
 */
public final class StreamResults implements Iterator<BatchResult>, AutoCloseable {

    private final ActorRef<StreamRun.Command> run;
    private final CompletableFuture<StreamSummary> done;
    private BatchResult lookahead;
    /** Outputs of the last reply not yet handed out; filled on the run's thread before the reply's first is. */
    private final ConcurrentLinkedQueue<BatchResult> received = new ConcurrentLinkedQueue<>();
    private volatile boolean ended;
    /** The request being answered; the run stops once it has reported its end, so the end answers it too. */
    private volatile CompletableFuture<BatchResult> current;

    StreamResults(ActorRef<StreamRun.Command> run, CompletableFuture<StreamSummary> done) {
        this.run = run;
        this.done = done;
        done.whenComplete((summary, error) -> {
            CompletableFuture<BatchResult> waiting = current;
            if (waiting != null) {
                complete(waiting, null, error);
            }
        });
    }

    /**
     * The next output, or {@code null} when the run is done; completes exceptionally with a
     * {@link StreamFailedException} when the run failed. Completes on the run's actor thread or on the
     * dispatcher thread that made the outputs: do not block in a callback attached to it.
     */
    public CompletionStage<BatchResult> nextAsync() {
        BatchResult waiting = received.poll();
        if (waiting != null) {
            return CompletableFuture.completedFuture(waiting);
        }
        if (ended) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<List<BatchResult>> reply = new CompletableFuture<>();
        CompletableFuture<BatchResult> result = new CompletableFuture<>();
        reply.whenComplete((items, error) -> {
            if (error != null || items.isEmpty()) {
                complete(result, null, error);
            } else if (result.isDone()) {
                items.forEach(BatchResult::close);
            } else {
                received.addAll(items.subList(1, items.size()));
                complete(result, items.get(0), null);
            }
        });
        current = result;
        if (done.isDone()) {
            done.whenComplete((summary, error) -> complete(result, null, error));
        } else {
            run.tell(new StreamRun.Next(reply));
        }
        return result;
    }

    private void complete(CompletableFuture<BatchResult> result, BatchResult item, Throwable error) {
        boolean taken = error != null ? result.completeExceptionally(unwrap(error)) : result.complete(item);
        if (taken && item == null) {
            ended = true;
        } else if (!taken && item != null) {
            item.close();
        }
    }

    @Override
    public boolean hasNext() {
        if (lookahead == null && !ended) {
            try {
                lookahead = nextAsync().toCompletableFuture().join();
            } catch (CompletionException e) {
                ended = true;
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
        }
        return lookahead != null;
    }

    @Override
    public BatchResult next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the streaming run has no more results");
        }
        BatchResult result = lookahead;
        lookahead = null;
        return result;
    }

    /** The outputs as a sequential stream; closing the stream closes these results. */
    public Stream<BatchResult> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED | Spliterator.NONNULL),
                false).onClose(this::close);
    }

    /** Completes when the run has ended: with its summary, or exceptionally with its failure. */
    public CompletionStage<StreamSummary> summary() {
        return done;
    }

    /** Cancels the run if it is still going and waits until it has freed everything it held. */
    @Override
    public void close() {
        if (lookahead != null) {
            lookahead.close();
            lookahead = null;
        }
        if (!done.isDone()) {
            run.tell(new StreamRun.Cancel());
        }
        try {
            done.join();
        } catch (CompletionException | java.util.concurrent.CancellationException ignored) {
            // A failure has already been reported to the reader, or the reader did not ask.
        }
        ended = true;
        for (BatchResult unread = received.poll(); unread != null; unread = received.poll()) {
            unread.close();
        }
    }

    /** Waits for the end of the run: its summary, or its failure thrown. */
    public StreamSummary awaitSummary() {
        try {
            return done.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }
}
