package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The source side of one run: opens the {@link BatchSource}, pulls batches in groups and closes it,
 * each on the blocking dispatcher, reporting to the {@link StreamRun} actor with {@code pipeToSelf}; and
 * numbers the batches it brings. One trip to the source at a time. Used only on the run's actor thread.
 */
final class RunSource {

    private enum State { OPENING, OPEN, PULLING, CLOSING, CLOSED }

    private final ActorContext<StreamRun.Command> context;
    private final Executor blocking;
    private State state = State.OPENING;
    private Iterator<ArrowTable> iterator;
    private long nextBatchId;
    private long rows;

    /** Starts opening {@code source}; the run hears {@link StreamRun.Opened}. */
    RunSource(ActorContext<StreamRun.Command> context, BatchSource source, BufferAllocator allocator,
              Executor blocking) {
        this.context = context;
        this.blocking = blocking;
        context.pipeToSelf(CompletableFuture.supplyAsync(() -> {
            try {
                return source.open(allocator);
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, blocking), StreamRun.Opened::new);
    }

    void opened(Iterator<ArrowTable> it) {
        iterator = it;
        state = it != null ? State.OPEN : State.CLOSED;
    }

    /** Open and no trip to it under way. */
    boolean idle() {
        return state == State.OPEN;
    }

    boolean closed() {
        return state == State.CLOSED;
    }

    /** Asks for up to {@code wanted} batches; the run hears {@link StreamRun.Pulled}. Only when {@link #idle()}. */
    void pull(long wanted) {
        state = State.PULLING;
        Iterator<ArrowTable> it = iterator;
        context.pipeToSelf(CompletableFuture.supplyAsync(() -> SourceReads.pull(it, wanted), blocking),
                (pull, error) -> error != null ? new StreamRun.Pulled(List.of(), false, error)
                        : new StreamRun.Pulled(pull.tables(), pull.exhausted(), null));
    }

    /** A pull has come back; an exhausted source has closed itself. */
    void pulled(boolean exhausted) {
        state = exhausted ? State.CLOSED : State.OPEN;
    }

    /** The id of {@code table}, a batch just pulled. */
    long number(ArrowTable table) {
        rows += table.rowCount();
        return nextBatchId++;
    }

    long batches() {
        return nextBatchId;
    }

    long rows() {
        return rows;
    }

    /** Closes the source if it is open and idle; the run hears {@link StreamRun.SourceClosed}. */
    void close() {
        if (state != State.OPEN) {
            return;
        }
        state = State.CLOSING;
        Iterator<ArrowTable> it = iterator;
        context.pipeToSelf(CompletableFuture.runAsync(() -> SourceReads.closeQuietly(it), blocking),
                (ok, error) -> new StreamRun.SourceClosed());
    }

    void closedNow() {
        state = State.CLOSED;
    }

    /** The run stopped unexpectedly: closes an idle source on this thread. */
    void closeOnStop() {
        if (iterator != null && state == State.OPEN) {
            SourceReads.closeQuietly(iterator);
        }
    }
}
