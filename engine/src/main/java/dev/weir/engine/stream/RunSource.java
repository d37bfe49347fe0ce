package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The source side of one run: opens the {@link BatchSource}, pulls batches in groups (through the
 * {@link Relay}, which may take them on to the first task right there) and closes it, each on the
 * blocking dispatcher, reporting to the {@link StreamRun} actor; and numbers the batches it brings.
 * One trip to the source at a time. Used only on the run's actor thread.
 */
final class RunSource {

    private enum State { OPENING, OPEN, PULLING, CLOSING, CLOSED }

    private final ActorContext<StreamRun.Command> context;
    private final Executor blocking;
    private final Relay relay;
    private State state = State.OPENING;
    private Iterator<ArrowTable> iterator;
    private long nextBatchId;
    private long rows;
    /** When the trip to the source under way (opening, pulling, closing) started; see {@link #overdue}. */
    private long tripStartedNanos = System.nanoTime();
    private boolean abandoned;
    private boolean lateReplied;
    /** The blocking thread on a trip to the source now, if any: {@link #abandon()} interrupts it. */
    private final TripThread tripThread = new TripThread();

    /** Starts opening {@code source}; the run hears {@link StreamRun.Opened}. */
    RunSource(ActorContext<StreamRun.Command> context, BatchSource source, BufferAllocator allocator,
              Executor blocking, Relay relay) {
        this.context = context;
        this.blocking = blocking;
        this.relay = relay;
        context.pipeToSelf(CompletableFuture.supplyAsync(() -> tripThread.during(() -> {
            try {
                return source.open(allocator);
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }), blocking), StreamRun.Opened::new);
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

    boolean pulling() {
        return state == State.PULLING;
    }

    /**
     * Asks for up to {@code wanted} batches, numbered from the next batch id; the run hears
     * {@link StreamRun.Pulled}. Only when {@link #idle()}.
     */
    void pull(long wanted) {
        state = State.PULLING;
        tripStartedNanos = System.nanoTime();
        Iterator<ArrowTable> it = iterator;
        long firstId = nextBatchId;
        try {
            blocking.execute(() -> tripThread.during(() -> {
                relay.pull(it, wanted, firstId);
                return null;
            }));
        } catch (RejectedExecutionException e) {
            context.getSelf().tell(new StreamRun.Pulled(List.of(), null, false, e));
        }
    }

    /** A pull has come back; an exhausted source has closed itself. */
    void pulled(boolean exhausted) {
        state = exhausted ? State.CLOSED : State.OPEN;
    }

    /** The id of the next batch pulled, of {@code rowCount} rows; ids go in the order of the pulls. */
    long number(long rowCount) {
        rows += rowCount;
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
        tripStartedNanos = System.nanoTime();
        Iterator<ArrowTable> it = iterator;
        context.pipeToSelf(CompletableFuture.runAsync(() -> tripThread.during(() -> {
                    SourceReads.closeQuietly(it);
                    return null;
                }), blocking),
                (ok, error) -> new StreamRun.SourceClosed());
    }

    void closedNow() {
        state = State.CLOSED;
    }

    /** A trip to the source (opening, pulling or closing it) has taken longer than {@code boundNanos}. */
    boolean overdue(long now, long boundNanos) {
        boolean away = state == State.OPENING || state == State.PULLING || state == State.CLOSING;
        return !abandoned && away && now - tripStartedNanos > boundNanos;
    }

    /**
     * The run gives up on the source's trip under way: it counts as closed from now on, the thread on the
     * trip is interrupted (so that a source waiting in an interruptible call gives its thread back), and
     * what the trip brings back when it ends is freed ({@link #abandoned()}).
     */
    void abandon() {
        abandoned = true;
        state = State.CLOSED;
        tripThread.interrupt();
    }

    /** The run gave up on a trip to the source; its late reply must be freed, not used. */
    boolean abandoned() {
        return abandoned;
    }

    /** A trip to the source was given up on and has not come back yet. */
    boolean away() {
        return abandoned && !lateReplied;
    }

    /** What a source trip given up on brought back, freed: its batches, or the iterator it opened. */
    void freeLate(StreamRun.Command late) {
        lateReplied = true;
        if (late instanceof StreamRun.Opened opened && opened.iterator() != null) {
            Iterator<ArrowTable> it = opened.iterator();
            try {
                blocking.execute(() -> SourceReads.closeQuietly(it));
            } catch (RejectedExecutionException e) {
                SourceReads.closeQuietly(it);
            }
        } else if (late instanceof StreamRun.Pulled pulled) {
            pulled.tables().forEach(ArrowTable::close);
            Iterator<ArrowTable> it = iterator;
            if (it != null && !pulled.exhausted()) {
                try {
                    blocking.execute(() -> SourceReads.closeQuietly(it));
                } catch (RejectedExecutionException e) {
                    SourceReads.closeQuietly(it);
                }
            }
        }
    }

    /** The run stopped unexpectedly: closes an idle source on this thread. */
    void closeOnStop() {
        if (iterator != null && state == State.OPEN) {
            SourceReads.closeQuietly(iterator);
        }
    }

    /**
     * Which blocking thread is on a trip to the source, so that giving up on the trip can interrupt it; an
     * interrupt asked for before the trip's thread starts reaches it when it does. The interrupt is the
     * trip's own: the thread's flag is cleared when the trip ends, before the thread goes back to its pool.
     */
    private static final class TripThread {
        private Thread thread;
        private boolean interrupt;

        <T> T during(java.util.function.Supplier<T> trip) {
            synchronized (this) {
                thread = Thread.currentThread();
                if (interrupt) {
                    thread.interrupt();
                }
            }
            try {
                return trip.get();
            } finally {
                synchronized (this) {
                    thread = null;
                }
                Thread.interrupted();
            }
        }

        synchronized void interrupt() {
            interrupt = true;
            if (thread != null) {
                thread.interrupt();
            }
        }
    }
}
